"""A fallback turn, or a request the DomainGate turned away, is recorded masked in the
real store; a failure costs nothing."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

import actions.context as context
from actions.hotline import ActionFallback
from actions.routing import ActionOutOfScope
from bot.replies import render
from bot.store.nlu_misses import NluMissRepository
from tests.actions.helpers import DOMAIN, texts, tracker
from tests.conftest import sqlite_url

RANKING = [
    {"name": "nlu_fallback", "confidence": 0.7},
    {"name": "check_contract", "confidence": 0.52},
    {"name": "inform", "confidence": 0.2},
]
# The fallback offers the one request the ranking gives ≥ the floor when the message
# has its words (合同), as a button under this text; bot/services/clarify.py.
ASKED = render("clarify")


def _fallback_tracker(text: str, count: int = 0):
    t = tracker(text, "nlu_fallback", slots={"fallback_count": count}, sender="conv-1")
    t.latest_message["intent_ranking"] = RANKING
    return t


async def test_fallback_records_a_masked_row_with_the_guess(services, db) -> None:
    d = CollectingDispatcher()
    await ActionFallback().run(d, _fallback_tracker("呃 合同20261234567 电话13912345678"), DOMAIN)
    assert texts(d) == ASKED
    await ActionFallback().run(CollectingDispatcher(), _fallback_tracker("还是不懂", 1), DOMAIN)
    await ActionFallback().run(CollectingDispatcher(), _fallback_tracker("😀😀"), DOMAIN)

    groups = await NluMissRepository(db).groups()
    assert {(g.text, g.guess, g.count) for g in groups} == {
        ("呃 合同*********** 电话139****5678", "check_contract", 1),
        ("还是不懂", "check_contract", 1),
    }
    assert all(g.confidence == 0.52 for g in groups)


async def test_a_store_that_cannot_record_does_not_break_the_turn(
    services, db, tmp_path, monkeypatch, caplog
) -> None:
    monkeypatch.setenv("PPA_DB_URL", sqlite_url(tmp_path / "empty"))  # no tables there
    (tmp_path / "empty").mkdir()
    context.services.cache_clear()
    try:
        d = CollectingDispatcher()
        events = await ActionFallback().run(d, _fallback_tracker("呃呃呃"), DOMAIN)
    finally:
        await context.services().db.dispose()
        context.services.cache_clear()
    assert texts(d) == render("rephrase") and events[0]["value"] == 1  # "呃呃呃": no 合同
    assert "could not record a misunderstood message (呃呃呃)" in caplog.text
    assert await NluMissRepository(db).groups() == []


async def test_a_gated_request_is_answered_out_of_scope_and_recorded_with_what_was_gated(
    services, db
) -> None:
    gated = tracker("我要查 合同 13912345678", "out_of_scope", sender="conv-2")
    gated.latest_message["domain_gate"] = {"name": "check_contract", "confidence": 0.93}
    chit_chat = tracker("今天好热", "out_of_scope", sender="conv-2")  # the model's own call
    for t in (gated, chit_chat):
        d = CollectingDispatcher()
        assert await ActionOutOfScope().run(d, t, DOMAIN) == []
        assert texts(d) == "utter_out_of_scope"

    groups = await NluMissRepository(db).groups()
    assert [(g.text, g.kind, g.guess, g.confidence) for g in groups] == [
        ("我要查 合同 139****5678", "gated", "check_contract", 0.93)
    ]
