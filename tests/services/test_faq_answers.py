"""bot.services.faq_answers: the direct answer before an FAQ topic's text."""

import pytest

from bot.services.faq_answers import answer_for, asks_after_expiry, topic_of


def test_the_topic_of_a_retrieval_intent():
    assert topic_of("faq/severity_levels") == "severity_levels"
    assert topic_of("faq") is None and topic_of(None) is None


@pytest.mark.parametrize(
    "text, level",
    [
        ("一个用户连不上算几级", "严重程度三"),
        ("数据库服务器宕机了，所有用户都连不上，算几级", "严重程度一"),
        ("生产系统部分应用间断性报错属于几级", "严重程度二"),
    ],
)
def test_a_described_fault_asked_for_its_level_gets_it(text, level):
    """A sixteenth blind tester's "一个用户连不上算几级" got the three definitions; the
    guide's own example answers it: 严重程度三."""
    lead, topic = answer_for("severity_levels", text)
    assert topic == "severity_levels" and lead and level in lead
    for other in ("严重程度一", "严重程度二", "严重程度三"):
        if other != level:
            assert other not in lead


def test_the_definitions_asked_for_have_no_lead():
    assert answer_for("severity_levels", "严重程度是怎么定义的") == (None, "severity_levels")
    assert answer_for("severity_levels", "sev1是什么意思") == (None, "severity_levels")


@pytest.mark.parametrize(
    "text, topic",
    [
        ("过期了还能下补丁吗", "patch_download"),
        ("我们合同过期了还能打电话找技术支持吗", "calling_tips"),
        ("合同到期了还可以升级新版本吗", "upgrade_rights"),
        ("PPA expired, can I still download fixes", "patch_download"),
    ],
)
def test_what_an_expired_contract_still_gives_is_no_and_renewal(text, topic):
    """ "过期了还能下补丁吗" got the download sites with no answer; the guide gives
    upgrades and downloads "PPA 许可权有效期内" only."""
    lead, answered = answer_for(topic, text)
    assert lead and lead.startswith("不能") and answered == "contract_renewal"


@pytest.mark.parametrize("text", ["补丁在哪下载", "合同什么时候到期", "续约了还要重新注册吗"])
def test_other_questions_keep_their_topic(text):
    assert not asks_after_expiry(text)
    assert answer_for("patch_download", text) == (None, "patch_download")
