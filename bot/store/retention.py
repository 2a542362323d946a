"""Retention: delete Rasa's stored conversation events past their age.

Rasa's SQL tracker store keeps every event of every conversation in its ``events``
table (``rasa.core.tracker_store.SQLTrackerStore.SQLEvent``: ``id``, ``sender_id``,
``type_name``, ``timestamp`` as Unix seconds, ``intent_name``, ``action_name``,
``data``), in the same database as ours. Only that table is touched: cases, their
history and notifications are business records and stay. The table is Rasa's, so it
is described here as a bare table clause, not as one of our models or migrations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Integer, String, column, delete, func, inspect, select, table

from bot.store.database import Database

EVENTS_TABLE = "events"
DEFAULT_BATCH = 1000

_events = table(
    EVENTS_TABLE,
    column("id", Integer),
    column("sender_id", String),
    column("timestamp", Float),
)


@dataclass(frozen=True)
class EventCounts:
    """How many stored events (and of how many conversations) a purge concerns."""

    events: int
    conversations: int


class TrackerEventsRepository:
    """Rasa's ``events`` table, for retention only."""

    def __init__(self, db: Database, batch: int = DEFAULT_BATCH) -> None:
        """Work on ``db``, deleting at most ``batch`` rows per transaction."""
        if batch < 1:
            raise ValueError("batch must be at least 1")
        self._db = db
        self._batch = batch

    async def exists(self) -> bool:
        """True once Rasa has created its table (it does on its first start)."""
        async with self._db.transaction() as session:
            connection = await session.connection()
            found: bool = await connection.run_sync(
                lambda sync: inspect(sync).has_table(EVENTS_TABLE)
            )
            return found

    async def count_older(self, before: datetime) -> EventCounts:
        """Events stored before ``before`` and the conversations they belong to."""
        cutoff = _older(before)
        stmt = select(func.count(), func.count(func.distinct(_events.c.sender_id))).where(cutoff)
        async with self._db.transaction() as session:
            events, conversations = (await session.execute(stmt)).one()
            return EventCounts(int(events), int(conversations))

    async def delete_older(self, before: datetime) -> EventCounts:
        """Delete events stored before ``before``, ``batch`` rows per transaction.

        Short transactions keep Rasa's own writes waiting no longer than one batch.
        """
        counts = await self.count_older(before)
        deleted = 0
        while True:
            async with self._db.transaction() as session:
                ids = (
                    (
                        await session.execute(
                            select(_events.c.id)
                            .where(_older(before))
                            .order_by(_events.c.id)
                            .limit(self._batch)
                        )
                    )
                    .scalars()
                    .all()
                )
                if not ids:
                    break
                await session.execute(delete(_events).where(_events.c.id.in_(ids)))
                deleted += len(ids)
        return EventCounts(deleted, counts.conversations)


def _older(before: datetime) -> Any:
    if before.tzinfo is None:
        raise ValueError("before must be timezone-aware")
    return _events.c.timestamp < before.timestamp()
