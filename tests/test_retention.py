"""``python -m bot privacy purge`` against Rasa's own SQLTrackerStore, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from bot.cli import main
from bot.config import Settings
from bot.services.retention import purge
from bot.store import Database
from bot.store.attempts import IdentityAttemptRepository
from bot.store.cases import CaseRepository
from bot.store.database import to_sync_url
from bot.store.nlu_misses import MissGroup, NluMissRepository
from bot.store.records import utc_now
from tests.store_data import new_case

DAY = 86_400.0
NOW = time.time()
OLD, RECENT = NOW - 200 * DAY, NOW - 10 * DAY


def _events(at: float) -> list:
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered

    return [
        ActionExecuted("action_session_start", timestamp=at),
        SessionStarted(timestamp=at),
        UserUttered("我的电话 13800000101", timestamp=at + 1),
        BotUttered("好的", timestamp=at + 2),
    ]


@pytest.fixture
def rasa_store(db_url: str) -> Iterator[object]:
    """Rasa's SQLTrackerStore on the test database, holding three conversations."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.trackers import DialogueStateTracker

    store = SQLTrackerStore(host=to_sync_url(db_url))  # creates ``events`` as Rasa does
    conversations = {
        "old": _events(OLD),
        "mixed": _events(OLD) + _events(RECENT),
        "recent": _events(RECENT),
    }

    async def save() -> None:
        for sender, events in conversations.items():
            await store.save(DialogueStateTracker.from_events(sender, events))

    asyncio.run(save())
    yield store
    store.engine.dispose()


def _stored(db_url: str) -> dict[str, list[float]]:
    engine = create_engine(to_sync_url(db_url), future=True)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT sender_id, timestamp FROM events")).all()
            cases = connection.execute(text("SELECT count(*) FROM ppa_cases")).scalar_one()
            history = connection.execute(text("SELECT count(*) FROM ppa_case_events")).scalar_one()
    finally:
        engine.dispose()
    stored: dict[str, list[float]] = {"cases": [cases], "case_events": [history]}
    for sender, timestamp in rows:
        stored.setdefault(sender, []).append(timestamp)
    return stored


async def _open_case_and_attempts(db_url: str) -> None:
    db = Database(db_url)
    try:
        await CaseRepository(db).open(new_case(created_at=utc_now() - timedelta(days=400)))
        attempts = IdentityAttemptRepository(db)
        await attempts.record_failure([("case", "PMR-1")], utc_now() - timedelta(days=200))
        await attempts.record_failure([("case", "PMR-1")], utc_now())
        misses = NluMissRepository(db)
        for age in (200, 1):
            at = utc_now() - timedelta(days=age)
            await misses.record("old", f"第{age}天 没看懂", "fallback", "greet", 0.3, at)
    finally:
        await db.dispose()


async def _miss_groups(db_url: str) -> list[MissGroup]:
    db = Database(db_url)
    try:
        return await NluMissRepository(db).groups()
    finally:
        await db.dispose()


def _purge(db_url: str, *args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    code = main(["privacy", "purge", *args], settings=Settings(db_url=db_url), out=out, err=err)
    assert code == 0, err.getvalue()
    return out.getvalue()


def test_purge_deletes_old_events_only_and_keeps_cases(db_url: str, rasa_store) -> None:
    asyncio.run(_open_case_and_attempts(db_url))
    before = _stored(db_url)
    assert (len(before["old"]), len(before["mixed"]), len(before["recent"])) == (4, 8, 4)

    dry = _purge(db_url, "--older-than", "180", "--dry-run")
    assert "would delete 8 条对话事件" in dry and "of 2 个会话" in dry
    assert "would delete 1 条验证失败记录" in dry
    assert "would delete 1 条未理解消息" in dry
    assert _stored(db_url) == before

    done = _purge(db_url)  # PPA_RETENTION_DAYS' default, 180
    assert "deleted 8 条对话事件" in done and "(180 天 days)" in done
    assert "deleted 1 条未理解消息" in done
    assert [g.text for g in asyncio.run(_miss_groups(db_url))] == ["第1天 没看懂"]
    after = _stored(db_url)
    assert "old" not in after
    assert after["mixed"] == [t for t in before["mixed"] if t >= RECENT]
    assert after["recent"] == before["recent"]
    assert (
        (after["cases"], after["case_events"])
        == (before["cases"], before["case_events"])
        == (
            [1],
            [1],
        )
    )
    # Rasa still reads what is left, and the purged conversation starts afresh.
    tracker = asyncio.run(rasa_store.retrieve("mixed"))
    assert tracker is not None and [e.timestamp for e in tracker.events][0] >= RECENT
    assert asyncio.run(rasa_store.retrieve("old")) is None

    assert "deleted 0 条对话事件" in _purge(db_url, "--older-than", "180")


def test_shorter_age_and_small_batches(db_url: str, rasa_store) -> None:
    async def run() -> int:
        db = Database(db_url)
        try:
            report = await purge(db, 5, batch=3)
        finally:
            await db.dispose()
        return report.events.events

    assert asyncio.run(run()) == 16
    assert set(_stored(db_url)) == {"cases", "case_events"}


def test_without_rasa_table_nothing_fails(db_url: str) -> None:
    output = _purge(db_url, "--older-than", "30")
    assert "no Rasa events table" in output and "deleted 0 条对话事件" in output


@pytest.mark.parametrize("days", ["0", "-1", "soon"])
def test_bad_age_is_a_usage_error(db_url: str, days: str, capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["privacy", "purge", "--older-than", days], settings=Settings(db_url=db_url))
    assert stopped.value.code == 2
    assert "at least 1" in capsys.readouterr().err
