"""Process each pushed message once, and deliver its reply exactly once.

WeChat and Weibo wait 5 s for an answer and then push the same message again (up
to three times). Two pieces handle that:

* ``DedupeStore`` maps a message key (MsgId, or sender + create time) to the
  future of its first run. A retry gets the *same* future and waits for it instead
  of running the bot again. Entries live ``ttl`` seconds (>= 120 s, far beyond the
  retry window) and the store is bounded, oldest entries going first.
* ``ReplyCoordinator`` waits for that future within the reply budget. In time, the
  request answers passively; too late, the request answers "nothing" and the reply
  is pushed through the platform's API once the turn finishes. ``Outcome`` records
  which of the two delivered it, so a reply is never delivered twice however the
  retries and the late push interleave.

Everything is in memory and per process: with several Sanic workers a retry may
reach another process, which would need a shared (Redis) store instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Generic, TypeVar

from bot.channels import mask_id
from bot.channels.config import DEDUPE_MAX_ENTRIES, DEDUPE_TTL

logger = logging.getLogger(__name__)

T = TypeVar("T")

PASSIVE = "passive"
PUSH = "push"


class DedupeStore(Generic[T]):
    """Key -> future of the first run, kept ``ttl`` seconds, at most ``max_entries``."""

    def __init__(
        self,
        ttl: float = DEDUPE_TTL,
        max_entries: int = DEDUPE_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Remember keys ``ttl`` seconds, at most ``max_entries`` at a time."""
        if ttl <= 0 or max_entries < 1:
            raise ValueError("ttl and max_entries must be positive")
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, asyncio.Future[T]]] = OrderedDict()
        # strong references to running first runs, even if evicted from the map
        self._running: set[asyncio.Future[T]] = set()

    def __len__(self) -> int:
        """The number of keys still remembered."""
        self._purge()
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        """True while ``key`` is remembered."""
        self._purge()
        return key in self._entries

    def _purge(self) -> None:
        now = self._clock()
        # same ttl for all, so insertion order is expiry order
        while self._entries:
            key, (expires, _) = next(iter(self._entries.items()))
            if expires > now:
                break
            del self._entries[key]

    def start_once(
        self, key: str, factory: Callable[[], Awaitable[T]]
    ) -> tuple[asyncio.Future[T], bool]:
        """The future of ``key``'s first run, starting ``factory()`` if there is none.

        Returns:
            ``(future, started)`` where ``started`` is True for the first run only.
            Check and insert happen without an await, so concurrent retries can
            never both start a run.
        """
        self._purge()
        entry = self._entries.get(key)
        if entry is not None:
            return entry[1], False
        future: asyncio.Future[T] = asyncio.ensure_future(factory())
        self._running.add(future)
        future.add_done_callback(self._finished)
        self._entries[key] = (self._clock() + self.ttl, future)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return future, True

    def pending(self) -> list[asyncio.Future[T]]:
        """First runs still in progress."""
        return list(self._running)

    def _finished(self, future: asyncio.Future[T]) -> None:
        self._running.discard(future)
        # retrieve the exception so asyncio does not warn "never retrieved"
        if not future.cancelled() and future.exception() is not None:
            logger.error("dedupe: a message run failed", exc_info=future.exception())


class Outcome:
    """The reply of one message, split into parts, and who delivers it."""

    def __init__(self, parts: list[str]) -> None:
        """Keep the non-empty ``parts``; nobody has delivered them yet."""
        self.parts = [part for part in parts if part]
        self.delivered_by: str | None = None

    def claim(self, how: str) -> bool:
        """Take the delivery for ``how`` (PASSIVE / PUSH); True only for the first."""
        if self.delivered_by is None:
            self.delivered_by = how
            return True
        return False


PushFn = Callable[[str, list[str]], Awaitable[None]]


class ReplyCoordinator:
    """Answers within a time budget, or pushes the reply later, exactly once.

    Args:
        push: sends parts to a recipient through the platform API; must not raise.
        budget: seconds a request may wait for the turn (below the platform's 5 s).
        store: the dedupe store shared by all requests of the channel.
        channel: name used in log lines.
    """

    def __init__(
        self,
        push: PushFn,
        budget: float,
        store: DedupeStore[Outcome] | None = None,
        channel: str = "channel",
    ) -> None:
        """Coordinate replies; see the class for the arguments."""
        self._push = push
        self.budget = budget
        self.store: DedupeStore[Outcome] = store or DedupeStore()
        self._channel = channel
        self._tasks: set[asyncio.Task[None]] = set()
        # requests currently waiting on each turn, and an event set when none is
        self._waiting: dict[asyncio.Future[Outcome], int] = {}
        self._idle: dict[asyncio.Future[Outcome], asyncio.Event] = {}

    async def reply(
        self,
        key: str,
        recipient: str,
        factory: Callable[[], Awaitable[Outcome]],
    ) -> str | None:
        """Process the message ``key`` once; the text to answer passively, or None.

        None means "answer with the platform's no-reply body": the reply was or will
        be pushed, or there is nothing to say.
        """
        future, started = self.store.start_once(key, factory)
        if not started:
            logger.info(
                "%s: retry of message %s from %s; waiting for the first run",
                self._channel,
                key,
                mask_id(recipient),
            )
        try:
            await self._wait(future)
        except asyncio.CancelledError:
            # the platform hung up; the reply can still be pushed
            self._push_when_done(future, recipient)
            raise
        if not future.done():
            logger.info(
                "%s: message %s not answered within %.1f s; reply will be pushed",
                self._channel,
                key,
                self.budget,
            )
            self._push_when_done(future, recipient)
            return None
        if future.cancelled() or future.exception() is not None:
            return None
        outcome = future.result()
        if not outcome.parts:
            return None
        if outcome.claim(PASSIVE):
            if len(outcome.parts) > 1:
                # the passive reply holds one part; the rest goes through the API
                self._spawn(self._safe_push(recipient, outcome.parts[1:]))
            return outcome.parts[0]
        if outcome.delivered_by == PASSIVE:
            # a retry of an answered message: repeat the same answer
            return outcome.parts[0]
        return None

    async def _wait(self, future: asyncio.Future[Outcome]) -> None:
        """Wait for the turn within the budget, counted as a waiter of that turn."""
        idle = self._idle.setdefault(future, asyncio.Event())
        idle.clear()
        self._waiting[future] = self._waiting.get(future, 0) + 1
        try:
            # asyncio.wait neither cancels the turn on timeout nor raises its error
            await asyncio.wait({future}, timeout=self.budget)
        finally:
            self._waiting[future] -= 1
            if not self._waiting[future]:
                del self._waiting[future]
                self._idle.pop(future).set()

    def _push_when_done(self, future: asyncio.Future[Outcome], recipient: str) -> None:
        self._spawn(self._push_later(future, recipient))

    async def _push_later(self, future: asyncio.Future[Outcome], recipient: str) -> None:
        try:
            outcome = await asyncio.shield(future)
        except Exception:  # the store logged it; nothing to push
            return
        idle = self._idle.get(future)
        if idle is not None:
            # a retry is still waiting on this turn: its passive answer costs no API
            # quota and works without the customer-service permission, so it goes first
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(idle.wait(), self.budget)
        if outcome.parts and outcome.claim(PUSH):
            await self._safe_push(recipient, outcome.parts)

    async def _safe_push(self, recipient: str, parts: list[str]) -> None:
        try:
            await self._push(recipient, parts)
        except Exception:
            logger.exception("%s: pushing a reply to %s failed", self._channel, mask_id(recipient))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        # keep a strong reference: the loop only holds weak ones to tasks
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for pending pushes (on server shutdown)."""
        pending: list[asyncio.Future[Any]] = [*self._tasks, *self.store.pending()]
        if pending:
            await asyncio.wait(pending, timeout=timeout)
