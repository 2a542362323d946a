"""bot.store.attempts on SQLite and PostgreSQL: failures counted, never the values."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.store import Database
from bot.store import models as m
from bot.store.attempts import IdentityAttemptRepository, digest
from tests.store_data import T0, count_rows

CASE = ("case", "PMR-250303-0001")
CONV = ("conversation", "rest\x1fuser-1")


async def test_failures_are_counted_per_subject_newest_first(db: Database) -> None:
    attempts = IdentityAttemptRepository(db)
    for minute in range(4):
        await attempts.record_failure([CONV, CASE], T0 + timedelta(minutes=minute))
    await attempts.record_failure([("case", "PMR-250303-0002")], T0)

    recent = await attempts.recent_failures(CASE, T0, limit=10)
    assert recent == [T0 + timedelta(minutes=n) for n in (3, 2, 1)]  # after ``since`` only
    assert await attempts.recent_failures(CASE, T0 - timedelta(seconds=1), limit=2) == [
        T0 + timedelta(minutes=3),
        T0 + timedelta(minutes=2),
    ]
    assert len(await attempts.recent_failures(CONV, T0 - timedelta(seconds=1), limit=10)) == 4
    assert await attempts.recent_failures(("contract", "PMR-250303-0001"), T0, 10) == []


async def test_values_are_stored_as_digests(db: Database) -> None:
    await IdentityAttemptRepository(db).record_failure([CONV, CASE], T0)
    async with db.transaction() as session:
        rows = (await session.execute(select(m.IdentityAttempt))).scalars().all()
    assert {(r.scope, r.subject) for r in rows} == {
        ("conversation", digest(CONV[1])),
        ("case", digest(CASE[1])),
    }
    assert all(CASE[1] not in r.subject and "user-1" not in r.subject for r in rows)


async def test_clear_and_purge(db: Database) -> None:
    attempts = IdentityAttemptRepository(db)
    await attempts.record_failure([CONV, CASE], T0)
    await attempts.record_failure([CONV], T0 + timedelta(days=2))
    await attempts.clear([CASE])
    assert await attempts.recent_failures(CASE, T0 - timedelta(days=1), 10) == []
    assert await attempts.purge(T0 + timedelta(days=1)) == 1
    assert await count_rows(db, m.IdentityAttempt) == 1


async def test_unknown_scope_is_refused(db: Database) -> None:
    with pytest.raises(ValueError):
        await IdentityAttemptRepository(db).record_failure([("phone", "x")], T0)
    assert await count_rows(db, m.IdentityAttempt) == 0
