"""Retention of conversation data (issue #11 §4): what ``privacy purge`` does.

Conversation events older than the retention age are deleted from Rasa's tracker
store, and so are failed identity proofs and recorded misunderstood messages
(``nlu review``, masked but possibly still naming someone) of that age; cases and
their history stay. A reviewer exports labelled messages before they age out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.services.hours import Clock, utc_now
from bot.store.attempts import IdentityAttemptRepository
from bot.store.database import Database
from bot.store.nlu_misses import NluMissRepository
from bot.store.retention import EventCounts, TrackerEventsRepository


@dataclass(frozen=True)
class PurgeReport:
    """What a purge found (dry run) or removed."""

    cutoff: dt.datetime
    dry_run: bool
    events_table: bool  # False until Rasa has created its table
    events: EventCounts
    identity_attempts: int
    nlu_misses: int


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
    misses = NluMissRepository(db)
    has_table = await events.exists()
    counts = EventCounts(0, 0)
    if dry_run:
        if has_table:
            counts = await events.count_older(cutoff)
        removed = await attempts.count_before(cutoff)
        misunderstood = await misses.count_before(cutoff)
    else:
        if has_table:
            counts = await events.delete_older(cutoff)
        removed = await attempts.purge(cutoff)
        misunderstood = await misses.purge(cutoff)
    return PurgeReport(cutoff, dry_run, has_table, counts, removed, misunderstood)
