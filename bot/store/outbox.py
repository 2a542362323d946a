"""The notification outbox: rows written with their case, delivered later by a worker."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store import models as m
from bot.store.database import Database
from bot.store.records import from_row


@dataclass(frozen=True)
class OutboxItem:
    """A notification waiting for (another) delivery attempt."""

    id: int
    case_id: str
    target_url: str
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None
    created_at: datetime


async def enqueue(
    session: AsyncSession,
    case_id: str,
    payload: dict[str, Any],
    urls: Sequence[str],
    at: datetime,
) -> None:
    """Add one pending notification per URL inside the caller's transaction."""
    for url in urls:
        await session.execute(
            insert(m.OutboxMessage).values(
                case_id=case_id,
                target_url=url,
                payload=payload,
                status="pending",
                attempts=0,
                next_attempt_at=at,
                created_at=at,
            )
        )


class OutboxRepository:
    """Notifications written with their case, delivered later by a worker.

    ``failed`` means the last attempt failed; the row is due again at
    ``next_attempt_at``, or never when that is ``None`` (given up).
    """

    def __init__(self, db: Database) -> None:
        """Work on ``db``."""
        self._db = db

    async def due(self, now: datetime, limit: int) -> list[OutboxItem]:
        """Undelivered notifications whose next attempt is at or before ``now``, oldest first."""
        stmt = (
            select(m.OutboxMessage)
            .where(
                m.OutboxMessage.status.in_(("pending", "failed")),
                m.OutboxMessage.next_attempt_at.is_not(None),
                m.OutboxMessage.next_attempt_at <= now,
            )
            .order_by(m.OutboxMessage.next_attempt_at, m.OutboxMessage.id)
            .limit(limit)
        )
        async with self._db.transaction() as session:
            rows = (await session.execute(stmt)).scalars().all()
            return [from_row(OutboxItem, row) for row in rows]

    async def claim(self, item_id: int, now: datetime, lease_until: datetime) -> bool:
        """Take a due row for one delivery attempt; False if another worker took it.

        The row stays undelivered but is not due again before ``lease_until``, so a
        worker that dies mid-send only delays the notification.
        """
        stmt = (
            update(m.OutboxMessage)
            .where(
                m.OutboxMessage.id == item_id,
                m.OutboxMessage.status.in_(("pending", "failed")),
                m.OutboxMessage.next_attempt_at <= now,
            )
            .values(next_attempt_at=lease_until)
        )
        async with self._db.transaction() as session:
            result = await session.execute(stmt)
            return bool(result.rowcount)

    async def mark_delivered(self, item_id: int, now: datetime) -> bool:
        """Record a successful delivery; False if there is no such row."""
        return await self._update(
            item_id,
            status="delivered",
            delivered_at=now,
            next_attempt_at=None,
            attempts=m.OutboxMessage.attempts + 1,
        )

    async def mark_failed(self, item_id: int, error: str, next_attempt_at: datetime | None) -> bool:
        """Record a failed attempt; retry at ``next_attempt_at`` (``None``: give up)."""
        return await self._update(
            item_id,
            status="failed",
            last_error=error,
            next_attempt_at=next_attempt_at,
            attempts=m.OutboxMessage.attempts + 1,
        )

    async def _update(self, item_id: int, **values: Any) -> bool:
        stmt = update(m.OutboxMessage).where(m.OutboxMessage.id == item_id).values(**values)
        async with self._db.transaction() as session:
            result = await session.execute(stmt)
            return bool(result.rowcount)
