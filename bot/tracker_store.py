"""Rasa's SQL tracker store, with its database calls moved off the event loop.

Rasa 3.6's ``SQLTrackerStore`` is declared ``async`` but talks to the database with
blocking SQLAlchemy calls, so while one conversation's events are read or written
(a network round trip or two on PostgreSQL) every other conversation on that Rasa
server waits. This subclass runs those calls in worker threads: each thread keeps
its own event loop to drive Rasa's coroutine, and Rasa already opens one SQLAlchemy
session per call, so nothing is shared between threads but the engine (which is
thread-safe). Events still reach an event broker from the server's own loop.

Use it in ``endpoints.yml`` with the same settings as Rasa's SQL store::

    tracker_store:
      type: bot.tracker_store.ThreadedSQLTrackerStore
      dialect: postgresql
      url: ...
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

T = TypeVar("T")
_worker = threading.local()


def _run_in_worker(coroutine: Coroutine[Any, Any, T]) -> T:
    """Drive ``coroutine`` on this worker thread's own event loop."""
    loop = getattr(_worker, "loop", None)
    if loop is None:
        loop = _worker.loop = asyncio.new_event_loop()
    return loop.run_until_complete(coroutine)


def _on_worker_loop() -> bool:
    loop = getattr(_worker, "loop", None)
    return loop is not None and loop.is_running()


class ThreadedSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose reads and writes run in a thread pool."""

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        coroutine = super()._retrieve(sender_id, fetch_events_from_all_sessions)
        return await asyncio.to_thread(_run_in_worker, coroutine)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Stream the new events here, then write them from a worker thread."""
        await super().stream_events(tracker)
        await asyncio.to_thread(_run_in_worker, super().save(tracker))

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Publish to the event broker, only ever from the server's loop (see save)."""
        if _on_worker_loop():
            return  # save() streamed them already, before handing over the write
        await super().stream_events(tracker)
