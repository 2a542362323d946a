"""Rasa's SQL tracker store with an in-process cache of each conversation's tracker.

Rasa's ``SQLTrackerStore`` rebuilds a conversation from every stored event of its
session on each ``retrieve`` (≈ 140 rows at the end of an intake: JSON, then Rasa's
event classes, ≈ 9 ms a turn here, most of it ``deserialise_events``), and counts the
stored events again on each ``save`` to know which ones are new. This store keeps the
deserialised tracker of the most recently used conversations (an LRU of
``cache_size`` entries, from the endpoint YAML) and keeps it in step with the
database instead:

- ``retrieve`` asks for the events stored after the last one it has seen (one query
  on the ``sender_id`` index; the anchors — the session's first and the last seen
  event — come back too, so deleted events, e.g. by ``privacy purge``, are noticed),
  applies only those, and hands out a *copy* (``bot.rasa.tracker_copy``: the state
  Rasa's ``copy()`` would rebuild by replaying every event, copied directly, with the
  same event objects) so callers never touch the cached state. Events another replica appended
  are picked up the same way: the Redis lock store serialises a conversation, so
  between two turns the database is the only writer to compare with.
- ``save`` writes only the events appended to the handed-out copy: the copy shares
  the cached tracker's event objects, so "which events are new" is known without
  Rasa's count query; the latest stored event id is checked first, and when anything
  differs (another writer, a tracker that did not come from this cache, purged rows)
  it falls back to Rasa's own ``_additional_events`` and drops the entry.
- A new session (``session_started`` among new events) drops the entry: the next
  ``retrieve`` loads the new session with Rasa's own query, which selects it by
  timestamp, so what a turn sees is exactly what ``SQLTrackerStore`` would return.

Everything else — the table, ``retrieve_full_tracker`` (the ``/tracker`` endpoint),
``keys``, event streaming — is Rasa's. ``cache_size: 0`` makes it Rasa's store.
Configured in ``endpoints.yml`` as ``type: bot.rasa.tracker_store.CachedSQLTrackerStore``.
"""

from __future__ import annotations

import itertools
import json
import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.pool import QueuePool

from bot.lru import LruCache
from bot.rasa import applied_events
from bot.rasa.tracker_copy import copy_tracker

logger = logging.getLogger(__name__)

# Used when the endpoint YAML gives no ``cache_size``. A tracker at the end of an
# intake is ≈ 270 KB of Python objects, so 256 conversations are ≈ 70 MB at most.
DEFAULT_CACHE_SIZE = 256


@dataclass
class CachedTracker:
    """A conversation's current session as stored, and where it is in the table."""

    tracker: DialogueStateTracker  # private: only copies leave the store
    first_id: int  # the session's first stored event
    last_id: int  # the newest stored event applied to ``tracker``


class CachedSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` that refreshes cached trackers incrementally (see module)."""

    engine: sa.engine.Engine  # set by Rasa's __init__ (replaced for SQLite, see below)

    def __init__(
        self,
        domain: Domain | None = None,
        cache_size: int | str = DEFAULT_CACHE_SIZE,
        **kwargs: Any,
    ) -> None:
        """Rasa's SQL store (same options) with a cache of ``cache_size`` trackers."""
        # Before Rasa's __init__, which sets ``domain`` (our setter clears the cache).
        self._cache: LruCache[str, CachedTracker] = LruCache(int(cache_size))
        super().__init__(domain, **kwargs)
        if self.engine.dialect.name == "sqlite" and self._cache.size:
            self._pool_sqlite_connections()

    def _pool_sqlite_connections(self) -> None:
        """Keep SQLite connections open between turns.

        SQLAlchemy 1.4 gives a SQLite file a ``NullPool``: every session of Rasa's
        store opened the file anew, ≈ 0.5 ms of a ≈ 1 ms query, three sessions a
        turn. Rasa calls the store from its event loop only; ``check_same_thread``
        is off because a pooled connection may be returned from another thread
        (SQLAlchemy 2.0's own default for SQLite files).
        """
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url, poolclass=QueuePool, connect_args={"check_same_thread": False}
        )
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    @property  # type: ignore[override]
    def domain(self) -> Domain:
        """The domain the trackers' slots come from."""
        return self._domain

    @domain.setter
    def domain(self, domain: Domain | None) -> None:
        # A new model may bring other slots: trackers built with the old ones go.
        self._domain = domain or Domain.empty()
        self._cache.clear()

    @property
    def cache(self) -> LruCache[str, CachedTracker]:
        """The cached trackers (for tests and diagnostics)."""
        return self._cache

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The tracker of the latest session, as Rasa's store returns it; None if none."""
        if self._cache.size == 0:
            return await super().retrieve(sender_id)
        try:
            cached = self._current(sender_id)
        except Exception:
            self._cache.pop(sender_id)
            raise
        return None if cached is None else copy_tracker(cached.tracker)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the tracker's new events; keep the cached tracker in step."""
        if self._cache.size == 0:
            await super().save(tracker)
            return
        await self.stream_events(tracker)
        sender_id = tracker.sender_id
        # Out of the cache until this save has committed: a failed write leaves nothing.
        cached = self._cache.pop(sender_id)
        new = _appended(cached, tracker)
        with self.session_scope() as session:
            if (
                cached is None
                or new is None
                or self._latest_id(session, sender_id) != cached.last_id
            ):
                new, cached = list(self._additional_events(session, tracker)), None
            ids = self._insert(session, sender_id, new)
            session.commit()
        if cached is None or any(isinstance(e, SessionStarted) for e in new):
            return
        for event in new:
            cached.tracker.update(event)
        # The turn's tracker holds the same event objects now: its applied events carry over.
        applied_events.share(tracker, cached.tracker)
        if ids:
            cached.last_id = ids[-1]
        self._cache.put(sender_id, cached)

    def _current(self, sender_id: str) -> CachedTracker | None:
        """The cached tracker brought up to date, or loaded; None without events."""
        with self.session_scope() as session:
            cached = self._cache.get(sender_id)
            if cached is not None:
                rows = self._rows_since(session, sender_id, cached)
                if _apply(cached, rows):
                    return cached
                self._cache.pop(sender_id)
            return self._load(session, sender_id)

    def _rows_since(self, session: Any, sender_id: str, cached: CachedTracker) -> list[Any]:
        """The two anchor rows and every row after the last seen one, in id order."""
        event = self.SQLEvent
        # A Core select (compiled once, cached by SQLAlchemy), not an ORM Query.
        query = (
            sa.select(event.id, event.type_name, event.data)
            .where(
                event.sender_id == sender_id,
                sa.or_(event.id == cached.first_id, event.id >= cached.last_id),
            )
            .order_by(event.id)
        )
        return list(session.execute(query).all())

    def _load(self, session: Any, sender_id: str) -> CachedTracker | None:
        """The latest session from the table, with Rasa's own query; cached."""
        event = self.SQLEvent
        rows = (
            self._event_query(session, sender_id, fetch_events_from_all_sessions=False)
            .with_entities(event.id, event.data)
            .all()
        )
        if not rows:
            return None
        tracker = DialogueStateTracker.from_dict(
            sender_id, [json.loads(row.data) for row in rows], self.domain.slots
        )
        cached = CachedTracker(tracker, first_id=rows[0].id, last_id=rows[-1].id)
        self._cache.put(sender_id, cached)
        return cached

    def _latest_id(self, session: Any, sender_id: str) -> int | None:
        event = self.SQLEvent
        query = sa.select(sa.func.max(event.id)).where(event.sender_id == sender_id)
        latest: int | None = session.execute(query).scalar()
        return latest

    def _insert(self, session: Any, sender_id: str, events: list[Event]) -> list[int]:
        """Add the events as Rasa's ``save`` does; their ids, in order."""
        rows = [self._row(sender_id, event) for event in events]
        session.add_all(rows)
        session.flush()  # assigns the ids (before commit expires the rows)
        return [row.id for row in rows]

    def _row(self, sender_id: str, event: Event) -> Any:
        """One ``events`` row, column for column as ``SQLTrackerStore.save`` writes it."""
        data = event.as_dict()
        return self.SQLEvent(
            sender_id=sender_id,
            type_name=event.type_name,
            timestamp=data.get("timestamp"),
            intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            action_name=data.get("name"),
            data=json.dumps(data),
        )


def _appended(cached: CachedTracker | None, tracker: DialogueStateTracker) -> list[Event] | None:
    """The events ``tracker`` has beyond the cached ones, if it is a copy of them.

    A copy shares the cached event objects, so identity of the last cached event at
    its position proves the lineage; anything else (a tracker built elsewhere, one
    from before another save) is None.
    """
    if cached is None:
        return None
    known = len(cached.tracker.events)
    if len(tracker.events) < known:
        return None
    if known and tracker.events[known - 1] is not cached.tracker.events[known - 1]:
        return None
    return list(itertools.islice(tracker.events, known, None))


def _apply(cached: CachedTracker, rows: list[Any]) -> bool:
    """Apply the rows after the last seen one; False when the cache cannot be trusted.

    False when an anchor row is gone (events were deleted) or a new session started
    (Rasa selects a session by timestamp; the full load does exactly that).
    """
    ids = {row.id for row in rows}
    if cached.first_id not in ids or cached.last_id not in ids:
        return False
    new = [row for row in rows if row.id > cached.last_id]
    if any(row.type_name == SessionStarted.type_name for row in new):
        return False
    for event in deserialise_events([json.loads(row.data) for row in new]):
        cached.tracker.update(event)
    if new:
        cached.last_id = new[-1].id
    return True
