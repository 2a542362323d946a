"""Text normalisation: written Cantonese read as Mandarin, offsets kept."""

import pytest

from bot.textnorm import WordMapper, cantonese_mapper, normalise


@pytest.mark.parametrize(
    ("written", "mandarin"),
    [
        ("我哋張單拖咗好耐", "我们张单拖了好耐"),
        ("我報嘅問題到咗第幾個階段", "我报的问题到了第几个阶段"),
        ("冇啊", "没啊"),
        ("係唔係壞咗", "是不是坏了"),
        ("電話幾多號", "电话多少号"),
        ("可唔可以搵多啲人跟", "可不可以找多些人跟"),
    ],
)
def test_cantonese_is_read_as_mandarin(written, mandarin):
    assert normalise(written).text == mandarin


@pytest.mark.parametrize(
    ("word", "simplified"), [("關係", "关系"), ("係統", "系统"), ("係數", "系数")]
)
def test_where_the_character_is_the_traditional_form_of_xi_it_stays(word, simplified):
    assert normalise(word).text == simplified


def test_mandarin_is_left_as_it_is():
    text = "DB2数据库挂了, 合同号PPA-2024-0173, 关系不大"
    assert normalise(text).text == text


def test_entity_offsets_survive_the_mapping():
    text = "我哋嘅電話係13812345678"
    result = normalise(text)
    start = text.index("138")
    assert result.text[result.to_normalised(start) :].startswith("13812345678")


def test_every_listed_replacement_keeps_the_length():
    # The mapper refuses a list that would shift entity offsets.
    with pytest.raises(ValueError, match="keep the length"):
        WordMapper({"咁": "这么"})
    assert cantonese_mapper().apply("佢喺度") == "他在度"
