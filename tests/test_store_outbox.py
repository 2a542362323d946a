"""bot.store.outbox on SQLite and PostgreSQL: rows written with the case, retries."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.store import Database
from bot.store import models as m
from bot.store.cases import CaseRepository
from bot.store.outbox import OutboxRepository
from tests.store_data import T0, URLS, new_case


async def test_outbox_rows_are_written_with_the_case(db: Database) -> None:
    record, _ = await CaseRepository(db, clock=lambda: T0).open(new_case(), notify_urls=URLS)
    due = await OutboxRepository(db).due(T0, limit=10)
    assert [item.target_url for item in due] == list(URLS)
    assert all(item.case_id == record.case_id for item in due)
    assert all(item.status == "pending" and item.attempts == 0 for item in due)
    assert due[0].payload == {"event": "case.opened", "case": record.to_dict()}


async def test_outbox_retry_cycle(db: Database) -> None:
    await CaseRepository(db, clock=lambda: T0).open(new_case(), notify_urls=URLS)
    outbox = OutboxRepository(db)
    first, second = await outbox.due(T0, limit=10)
    assert [i.id for i in await outbox.due(T0, limit=1)] == [first.id]
    assert await outbox.due(T0 - timedelta(seconds=1), limit=10) == []

    retry_at = T0 + timedelta(minutes=5)
    assert await outbox.mark_failed(first.id, "HTTP 503", retry_at)
    assert await outbox.mark_delivered(second.id, T0)
    assert await outbox.due(T0, limit=10) == []

    (again,) = await outbox.due(retry_at, limit=10)
    assert (again.id, again.status, again.attempts, again.last_error) == (
        first.id, "failed", 1, "HTTP 503",
    )  # fmt: skip
    assert await outbox.mark_failed(first.id, "HTTP 500", None)  # give up
    assert await outbox.due(retry_at + timedelta(days=365), limit=10) == []
    assert not await outbox.mark_delivered(999_999, T0)

    async with db.transaction() as session:
        rows = {r.id: r for r in (await session.execute(select(m.OutboxMessage))).scalars()}
    assert rows[first.id].attempts == 2 and rows[first.id].next_attempt_at is None
    assert rows[second.id].status == "delivered" and rows[second.id].delivered_at == T0
