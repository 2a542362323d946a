"""bot.tracker_store: Rasa's SQL tracker store, off the event loop, on real databases."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy.engine import make_url

from bot.tracker_store import ThreadedSQLTrackerStore

DOMAIN = Domain.from_yaml("version: '3.1'\nslots:\n  phone:\n    type: text\n    mappings: []\n")


class RecordingBroker(EventBroker):
    """An event broker that keeps what it is given (and on which thread)."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []
        self.threads: set[int] = set()

    def publish(self, event: dict[str, Any]) -> None:
        self.published.append(event)
        self.threads.add(threading.get_ident())


def store_for(db_url: str, broker: EventBroker | None = None) -> TrackerStore:
    """Our store from an endpoints.yml-style config for ``db_url`` (SQLite or PostgreSQL)."""
    url = make_url(db_url)
    kind = "bot.tracker_store.ThreadedSQLTrackerStore"
    if url.get_backend_name() == "sqlite":
        config = EndpointConfig(type=kind, dialect="sqlite", db=url.database)
    else:
        config = EndpointConfig(
            url=url.host,
            type=kind,
            dialect="postgresql",
            port=url.port,
            db=url.database,
            username=url.username,
            password=url.password,
        )
    return TrackerStore.create(config, DOMAIN, broker)


def sqlite_store(path: Path, broker: EventBroker | None = None) -> TrackerStore:
    return store_for(f"sqlite:///{path}", broker)


def events(n: int, start: int = 0) -> list[Any]:
    out: list[Any] = []
    for i in range(start, start + n):
        out += [
            ActionExecuted("action_listen"),
            UserUttered(f"第{i}句", {"name": "inform", "confidence": 1.0}),
            SlotSet("phone", f"1380000{i:04d}"),
        ]
    return out


def test_endpoints_type_builds_our_store(tmp_path: Path) -> None:
    store = sqlite_store(tmp_path / "t.db")
    # Rasa wraps custom stores; ours is inside.
    inner = getattr(getattr(store, "_tracker_store", store), "_tracker_store", store)
    assert isinstance(inner, ThreadedSQLTrackerStore)


async def _round_trip(store: TrackerStore) -> None:
    tracker = DialogueStateTracker.from_events("张三", events(2), DOMAIN.slots)
    await store.save(tracker)
    again = await store.retrieve("张三")
    assert again is not None and list(again.events) == list(tracker.events)
    for event in events(1, start=2):
        again.update(event)
    await store.save(again)
    third = await store.retrieve("张三")
    assert third is not None and len(third.events) == 9  # appended, nothing duplicated
    assert third.get_slot("phone") == "13800000002"
    assert await store.retrieve("nobody") is None


async def test_round_trip(blank_db_url: str) -> None:
    """Saved, read back, appended to and read again, on SQLite and PostgreSQL."""
    await _round_trip(store_for(blank_db_url))


async def test_database_calls_leave_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow database no longer stalls the loop (Rasa's own store would)."""
    store = sqlite_store(tmp_path / "t.db")
    original = SQLTrackerStore.session_scope
    threads: set[int] = set()

    def slow_scope(self: SQLTrackerStore) -> Any:
        threads.add(threading.get_ident())
        time.sleep(0.3)  # a slow round trip, blocking whichever thread runs it
        return original(self)

    monkeypatch.setattr(SQLTrackerStore, "session_scope", slow_scope)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        tracker = DialogueStateTracker.from_events("李四", events(1), DOMAIN.slots)
        await store.save(tracker)
        assert await store.retrieve("李四") is not None
    finally:
        task.cancel()
    assert threading.get_ident() not in threads
    assert ticks >= 20  # the loop kept turning through ≥ 0.6 s of blocking calls


async def test_events_reach_the_broker_once_from_the_servers_loop(tmp_path: Path) -> None:
    broker = RecordingBroker()
    store = sqlite_store(tmp_path / "t.db", broker)
    tracker = DialogueStateTracker.from_events("王五", events(2), DOMAIN.slots)
    await store.save(tracker)
    for event in events(1, start=2):
        tracker.update(event)
    await store.save(tracker)
    assert [e["event"] for e in broker.published] == [e.type_name for e in tracker.events]
    assert broker.threads == {threading.get_ident()}
