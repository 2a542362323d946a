"""The cached SQL tracker store returns what Rasa's ``SQLTrackerStore`` returns.

Every test drives conversations through the store the way Rasa's processor does
(retrieve or create, append events, save) on a real database — SQLite and
PostgreSQL (``blank_db_url``) — and compares with Rasa's own store reading the same
table: the events of the latest session, the slots, the loop. The cache is also
checked for what it is for: a turn reads only the new rows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import class_from_module_path
from rasa.utils.endpoints import read_endpoint_config
from sqlalchemy import bindparam, create_engine, text

from bot.rasa.tracker_store import CachedSQLTrackerStore
from harness.model import ROOT

DOMAIN = Domain.from_dict(
    {
        "intents": ["greet", "report_outage"],
        "slots": {
            "product": {"type": "text", "mappings": [{"type": "custom"}]},
            "name": {"type": "text", "mappings": [{"type": "custom"}]},
        },
        "responses": {"utter_greet": [{"text": "您好"}]},
        "forms": {"outage_form": {"required_slots": ["product", "name"]}},
    }
)


@pytest.fixture
def stores(blank_db_url: str) -> Iterator[tuple[CachedSQLTrackerStore, SQLTrackerStore]]:
    """Our store and Rasa's on one fresh database."""
    ours = CachedSQLTrackerStore(DOMAIN, host=blank_db_url)
    rasa = SQLTrackerStore(DOMAIN, host=blank_db_url)
    try:
        yield ours, rasa
    finally:
        ours.engine.dispose()
        rasa.engine.dispose()


def state(tracker: DialogueStateTracker | None) -> Any:
    """What a turn sees: the events (as stored), slots, loop and latest message."""
    assert tracker is not None
    return {
        "events": [json.loads(json.dumps(e.as_dict())) for e in tracker.events],
        "slots": tracker.current_slot_values(),
        "loop": tracker.active_loop_name,
        "latest": tracker.latest_message.text if tracker.latest_message else None,
        "paused": tracker.is_paused(),
    }


async def turn(store: TrackerStore, sender: str, said: str, *events: Event) -> None:
    """One turn as the processor runs it: get or create, a new session if empty, save."""
    tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
    if not tracker.events:
        start_session(tracker)
    tracker.update(UserUttered(said, {"name": "greet", "confidence": 1.0}))
    for event in (*events, ActionExecuted("utter_greet"), BotUttered("您好")):
        event.timestamp = time.time()  # as the processor stamps an action's events
        tracker.update(event)
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)


def start_session(tracker: DialogueStateTracker) -> None:
    """The events Rasa's ``action_session_start`` logs."""
    for event in (
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
    ):
        tracker.update(event)


def count_loads(store: CachedSQLTrackerStore, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the conversations ``store`` reads in full (not incrementally)."""
    loads: list[str] = []
    original = store._load

    def spy(session: Any, sender_id: str) -> Any:
        found = original(session, sender_id)
        if found is not None:
            loads.append(sender_id)
        return found

    monkeypatch.setattr(store, "_load", spy)
    return loads


def stored_rows(url: str, sender: str) -> list[tuple[str, str]]:
    engine = create_engine(url, future=True)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT type_name, data FROM events WHERE sender_id = :s ORDER BY id"),
                {"s": sender},
            ).all()
    finally:
        engine.dispose()
    return [(row[0], row[1]) for row in rows]


async def test_a_conversation_reads_as_rasa_reads_it_and_only_new_rows_are_read(
    stores: tuple[CachedSQLTrackerStore, SQLTrackerStore],
    monkeypatch: pytest.MonkeyPatch,
    blank_db_url: str,
) -> None:
    ours, rasa = stores
    loads = count_loads(ours, monkeypatch)
    await turn(ours, "c1", "数据库起不来", ActiveLoop("outage_form"), SlotSet("product", "DB2"))
    for said in ("王先生", "演示科技", "13800000001"):
        await turn(ours, "c1", said, SlotSet("name", said))
        assert state(await ours.retrieve("c1")) == state(await rasa.retrieve("c1"))
    # The first turn saved a new conversation the way Rasa does; the second read it
    # once; every later turn only applied its own events.
    assert loads == ["c1"]
    rows = stored_rows(blank_db_url, "c1")
    tracker = await ours.retrieve("c1")
    assert tracker is not None
    assert len(rows) == len(tracker.events) + 1  # + action_session_start, before the session
    assert len({data for _, data in rows}) == len(rows)  # nothing stored twice
    assert tracker.get_slot("name") == "13800000001"
    assert tracker.active_loop_name == "outage_form"


async def test_handed_out_trackers_do_not_change_the_cache(
    stores: tuple[CachedSQLTrackerStore, SQLTrackerStore],
) -> None:
    ours, rasa = stores
    await turn(ours, "c2", "你好")
    await turn(ours, "c2", "还在吗", SlotSet("product", "DB2"))
    tracker = await ours.retrieve("c2")
    assert tracker is not None
    tracker.update(SlotSet("product", "Informix"))  # never saved
    tracker.update(UserUttered("unsaved"))
    assert state(await ours.retrieve("c2")) == state(await rasa.retrieve("c2"))
    assert (await ours.retrieve("c2")).get_slot("product") == "DB2"  # type: ignore[union-attr]


async def test_another_replica_s_events_are_read_incrementally(
    blank_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = CachedSQLTrackerStore(DOMAIN, host=blank_db_url)
    second = CachedSQLTrackerStore(DOMAIN, host=blank_db_url)
    rasa = SQLTrackerStore(DOMAIN, host=blank_db_url)
    loads = {"first": count_loads(first, monkeypatch), "second": count_loads(second, monkeypatch)}
    try:
        for number in range(6):  # alternately, as behind a load balancer
            store = (first, second)[number % 2]
            await turn(store, "c3", f"第{number}句", SlotSet("name", str(number)))
            expected = state(await rasa.retrieve("c3"))
            assert state(await first.retrieve("c3")) == expected
            assert state(await second.retrieve("c3")) == expected
        assert expected["slots"]["name"] == "5"
        # Each replica read the conversation in full once; after that only new rows.
        assert loads == {"first": ["c3"], "second": ["c3"]}
        rows = stored_rows(blank_db_url, "c3")
        assert [t for t, _ in rows].count("user") == 6
    finally:
        for store in (first, second, rasa):
            store.engine.dispose()


async def test_a_new_session_is_read_as_rasa_reads_it(
    stores: tuple[CachedSQLTrackerStore, SQLTrackerStore],
) -> None:
    ours, rasa = stores
    await turn(ours, "c4", "你好", SlotSet("product", "DB2"))
    await turn(ours, "c4", "再见")
    tracker = await ours.retrieve("c4")
    assert tracker is not None
    start_session(tracker)  # the session expired: Rasa starts a new one in the same tracker
    tracker.update(SlotSet("product", "DB2"))  # carried over
    tracker.update(UserUttered("新问题", {"name": "greet", "confidence": 1.0}))
    await ours.save(tracker)
    new_session = await ours.retrieve("c4")
    assert state(new_session) == state(await rasa.retrieve("c4"))
    assert new_session is not None
    assert [e.type_name for e in new_session.events][:2] == ["session_started", "action"]
    await turn(ours, "c4", "还有")
    assert state(await ours.retrieve("c4")) == state(await rasa.retrieve("c4"))
    full = await ours.retrieve_full_tracker("c4")
    assert state(full) == state(await rasa.retrieve_full_tracker("c4"))
    assert full is not None
    assert [e.type_name for e in full.events].count("session_started") == 2


async def test_a_session_another_replica_started_is_read_in_full(
    blank_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = CachedSQLTrackerStore(DOMAIN, host=blank_db_url)
    second = CachedSQLTrackerStore(DOMAIN, host=blank_db_url)
    rasa = SQLTrackerStore(DOMAIN, host=blank_db_url)
    loads = count_loads(first, monkeypatch)
    try:
        await turn(first, "c9", "你好", SlotSet("product", "DB2"))
        await turn(first, "c9", "在吗")
        assert await first.retrieve("c9") is not None
        tracker = await second.retrieve("c9")
        assert tracker is not None
        start_session(tracker)
        tracker.update(UserUttered("新问题", {"name": "greet", "confidence": 1.0}))
        await second.save(tracker)
        # Rasa selects the latest session by timestamp: read in full, not appended.
        assert state(await first.retrieve("c9")) == state(await rasa.retrieve("c9"))
        assert loads == ["c9", "c9"]
    finally:
        for store in (first, second, rasa):
            store.engine.dispose()


async def test_a_restart_is_read_as_rasa_reads_it(
    stores: tuple[CachedSQLTrackerStore, SQLTrackerStore],
) -> None:
    ours, rasa = stores
    await turn(ours, "c5", "你好", SlotSet("product", "DB2"))
    await turn(ours, "c5", "/restart", ActionExecuted("action_restart"), Restarted())
    tracker = await ours.retrieve("c5")
    assert state(tracker) == state(await rasa.retrieve("c5"))
    assert tracker is not None
    assert tracker.get_slot("product") is None


async def test_deleted_events_are_noticed(
    stores: tuple[CachedSQLTrackerStore, SQLTrackerStore], blank_db_url: str
) -> None:
    ours, rasa = stores
    for said in ("一", "二", "三"):
        await turn(ours, "c6", said)
    await ours.retrieve("c6")  # cached
    engine = create_engine(blank_db_url, future=True)
    with engine.begin() as conn:  # as `privacy purge` does: the oldest rows go
        oldest = conn.execute(
            text("SELECT id FROM events WHERE sender_id = 'c6' ORDER BY id LIMIT 4")
        ).all()
        conn.execute(
            text("DELETE FROM events WHERE id IN :ids").bindparams(
                bindparam("ids", expanding=True)
            ),
            {"ids": [row[0] for row in oldest]},
        )
    engine.dispose()
    assert state(await ours.retrieve("c6")) == state(await rasa.retrieve("c6"))


async def test_a_tracker_not_from_the_cache_is_saved_as_rasa_saves_it(
    stores: tuple[CachedSQLTrackerStore, SQLTrackerStore], blank_db_url: str
) -> None:
    ours, rasa = stores
    await turn(ours, "c7", "一")
    await turn(ours, "c7", "二")
    stale = await ours.retrieve("c7")
    await turn(ours, "c7", "三")  # meanwhile another turn was saved
    assert stale is not None
    for said in ("四", "五", "六", "七", "八", "九"):  # longer than what is stored
        stale.update(UserUttered(said))
    await ours.save(stale)
    assert "c7" not in ours.cache  # the cache only trusts copies of itself
    assert state(await ours.retrieve("c7")) == state(await rasa.retrieve("c7"))
    # Rasa's rule: what the table has of this session is a prefix of the tracker.
    rebuilt = DialogueStateTracker.from_dict("c7", [], DOMAIN.slots)
    rebuilt.update(UserUttered("五"))
    await ours.save(rebuilt)
    assert state(await ours.retrieve("c7")) == state(await rasa.retrieve("c7"))


async def test_the_cache_is_bounded_and_a_new_domain_empties_it(blank_db_url: str) -> None:
    store = CachedSQLTrackerStore(DOMAIN, host=blank_db_url, cache_size=2)
    try:
        for sender in ("a", "b", "c"):
            await turn(store, sender, "你好")
            await store.retrieve(sender)
        assert len(store.cache) == 2
        assert "a" not in store.cache
        assert (await store.retrieve("a")) is not None  # read from the table again
        store.domain = DOMAIN
        assert len(store.cache) == 0
    finally:
        store.engine.dispose()


async def test_cache_size_zero_is_rasa_s_store(
    blank_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = CachedSQLTrackerStore(DOMAIN, host=blank_db_url, cache_size=0)
    rasa = SQLTrackerStore(DOMAIN, host=blank_db_url)
    loads = count_loads(store, monkeypatch)
    try:
        for said in ("一", "二"):
            await turn(store, "c8", said)
        assert state(await store.retrieve("c8")) == state(await rasa.retrieve("c8"))
        assert loads == []
        assert len(store.cache) == 0
    finally:
        store.engine.dispose()
        rasa.engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_endpoint_files_configure_this_store(tmp_path: Path, backend: str) -> None:
    # Rasa falls back to an in-memory store, with only a warning, when a custom
    # tracker store's module path does not import: check both files name ours.
    config = read_endpoint_config(str(ROOT / "endpoints.yml"), "tracker_store")
    assert config is not None
    config.kwargs["db"] = str(tmp_path / "rasa.db")
    store = TrackerStore.create(config, DOMAIN)
    assert isinstance(store, CachedSQLTrackerStore)
    yaml_size = yaml.safe_load((ROOT / "endpoints.yml").read_text("utf-8"))["tracker_store"]
    assert store.cache.size == yaml_size["cache_size"] > 0
    store.engine.dispose()
    prod = yaml.safe_load((ROOT / "deploy" / "endpoints.prod.yml").read_text("utf-8"))
    assert class_from_module_path(prod["tracker_store"]["type"]) is CachedSQLTrackerStore
    assert int(prod["tracker_store"]["cache_size"]) > 0
