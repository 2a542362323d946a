"""action_answer_faq: the topic's response, a direct answer first, the line after hours."""

from __future__ import annotations

from actions.faq import ActionAnswerFaq
from tests.actions.helpers import after, run, texts, tracker


def faq(text: str, topic: str, **kw):  # type: ignore[no-untyped-def]
    t = tracker(text, "faq", **kw)
    t.latest_message["intent"]["full_retrieval_intent_name"] = f"faq/{topic}"
    return t


async def test_the_topic_chosen_is_uttered(services):  # type: ignore[no-untyped-def]
    d, events = await run(ActionAnswerFaq(), faq("补丁去哪下", "patch_download"))
    assert [m.get("response") for m in d.messages] == ["utter_faq/patch_download"]
    assert events == []


async def test_a_direct_answer_comes_first(services):  # type: ignore[no-untyped-def]
    d, _ = await run(ActionAnswerFaq(), faq("一个用户连不上算几级", "severity_levels"))
    assert "严重程度三" in d.messages[0]["text"]
    assert d.messages[1]["response"] == "utter_faq/severity_levels"
    d, _ = await run(ActionAnswerFaq(), faq("过期了还能下补丁吗", "patch_download"))
    assert d.messages[0]["text"].startswith("不能")
    assert d.messages[1]["response"] == "utter_faq/contract_renewal"


async def test_the_hours_right_after_a_number_name_that_line(services):  # type: ignore[no-untyped-def]
    """ "节假日呢" right after the DB2 number: a sixteenth blind tester was asked which
    product, as the after-hours answer ends."""
    t = faq("节假日呢", "after_hours_urgent", slots={"hotline_product": "DB2"})
    after(t, "DB2热线", "action_find_hotline")
    d, _ = await run(ActionAnswerFaq(), t)
    assert d.messages[0]["response"] == "utter_faq/after_hours_urgent"
    assert "800-810-1818-5200" in texts(d)
    # Without a number just given, only the answer.
    d, _ = await run(ActionAnswerFaq(), faq("节假日呢", "after_hours_urgent"))
    assert "800-810-1818-5200" not in texts(d) and len(d.messages) == 1
