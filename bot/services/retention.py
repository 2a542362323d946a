"""Retention of conversation data (issue #11 §4): what ``privacy purge`` does.

Conversation events older than the retention age are deleted from Rasa's tracker
store, and so are failed identity proofs of that age; cases and their history stay.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.services.hours import Clock, utc_now
from bot.store.attempts import IdentityAttemptRepository
from bot.store.database import Database
from bot.store.retention import EventCounts, TrackerEventsRepository


@dataclass(frozen=True)
class PurgeReport:
    """What a purge found (dry run) or removed."""

    cutoff: dt.datetime
    dry_run: bool
    events_table: bool  # False until Rasa has created its table
    events: EventCounts
    identity_attempts: int


async def purge(
    db: Database,
    older_than_days: int,
    *,
    dry_run: bool = False,
    clock: Clock = utc_now,
    batch: int | None = None,
) -> PurgeReport:
    """Delete (or with ``dry_run`` only count) what is older than ``older_than_days``."""
    if older_than_days < 1:
        raise ValueError("older_than_days must be at least 1")
    cutoff = clock() - dt.timedelta(days=older_than_days)
    events = TrackerEventsRepository(db) if batch is None else TrackerEventsRepository(db, batch)
    attempts = IdentityAttemptRepository(db)
    has_table = await events.exists()
    counts = EventCounts(0, 0)
    if dry_run:
        if has_table:
            counts = await events.count_older(cutoff)
        removed = await attempts.count_before(cutoff)
    else:
        if has_table:
            counts = await events.delete_older(cutoff)
        removed = await attempts.purge(cutoff)
    return PurgeReport(cutoff, dry_run, has_table, counts, removed)
