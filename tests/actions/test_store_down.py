"""The database goes away while a case opens: nothing half-written, one case on retry."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

import actions.context as context
from actions.intake import ActionOpenCase
from bot.store import models as m
from harness.servers import free_port
from tests.actions.helpers import DOMAIN, tracker
from tests.actions.test_actions import INTAKE


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_store_down_then_back_opens_exactly_one_case(services, db, db_url, monkeypatch):
    t = tracker("确认", "affirm", slots=INTAKE, sender="down")
    monkeypatch.setenv("PPA_DB_URL", f"postgresql://nobody@127.0.0.1:{free_port()}/none")
    context.services.cache_clear()
    d = CollectingDispatcher()
    events = await ActionOpenCase().run(d, t, DOMAIN)
    await context.services().db.dispose()
    assert any(msg.get("response") == "utter_store_unavailable" for msg in d.messages)
    # The intake stays open at the confirmation, so "确认" again retries.
    assert {"event": "active_loop", "name": "outage_form"} in [
        {k: e.get(k) for k in ("event", "name")} for e in events
    ]
    async with db.session() as s:
        assert (await s.execute(select(m.Case))).scalars().all() == []

    monkeypatch.setenv("PPA_DB_URL", db_url)
    context.services.cache_clear()
    for _ in range(2):  # the retry, and a repeated confirmation
        await ActionOpenCase().run(CollectingDispatcher(), t, DOMAIN)
    await context.services().db.dispose()
    async with db.session() as s:
        assert len((await s.execute(select(m.Case))).scalars().all()) == 1
