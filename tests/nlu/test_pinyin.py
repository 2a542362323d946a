"""Pinyin typed as Latin letters, split into syllables."""

import pytest

from bot.nlu.pinyin import spelled_syllables, syllables


def test_the_syllable_list_is_pinyins():
    known = syllables()
    assert {"zhuang", "ni", "hao", "er", "a", "lv"} <= known
    assert not {"m", "hng", "ng"} & known  # no vowel: interjections left out
    assert 380 < len(known) < 450


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("nihao", ["ni", "hao"]),
        ("xiexie", ["xie", "xie"]),
        ("rengong", ["ren", "gong"]),
        ("zhuangshuang", ["zhuang", "shuang"]),
        ("xian", ["xian"]),  # fewest syllables: not xi'an
    ],
)
def test_pinyin_words_split_into_syllables(word, expected):
    assert spelled_syllables(word) == expected


@pytest.mark.parametrize("word", ["hello", "rgkf", "db2", "sorry"])
def test_other_words_are_not_pinyin(word):
    assert spelled_syllables(word) is None
