"""Process each pushed message once, and deliver its reply exactly once, on N replicas.

WeChat and Weibo wait 5 s for an answer and then push the same message again (up
to three times), and behind a load balancer a retry may reach another Rasa server
(or Sanic worker). Everything that must be seen by all of them is in the channel
state (``bot.channels.state``; Redis in the production profile):

* ``run:<key>`` -- ``SET NX EX ttl`` claim of the first run. Only the claimant runs
  the bot turn; the result (the reply's parts) is stored as ``result:<key>`` for
  the same ttl, so a retry on any replica can answer passively with it.
* ``deliver:<key>`` -- who delivers the reply, ``passive`` or ``push``, claimed the
  same way: a reply is never delivered twice however retries and the late push
  interleave. A retry of a passively answered message repeats the same answer (the
  platform shows one answer per message).
* ``wait:<key>`` -- set while a retry waits for the result: the owner's late push
  then holds back for it, because a passive answer costs no API quota and works
  without the customer-service permission.

In time, the request answers passively; too late, the owner's request answers
"nothing" and the reply goes through ``deliver_late`` once the turn finishes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from bot.channels import mask_id
from bot.channels.config import DEDUPE_TTL
from bot.channels.state import ChannelState, MemoryState, Owner

logger = logging.getLogger(__name__)

PASSIVE = "passive"
PUSH = "push"
# How often a replica that does not run the turn looks for its result.
POLL_INTERVAL = 0.05


class Outcome:
    """The reply of one message, split into the parts one platform message holds."""

    def __init__(self, parts: list[str]) -> None:
        """Keep the non-empty ``parts``."""
        self.parts = [part for part in parts if part]


PushFn = Callable[[str, list[str]], Awaitable[None]]
T = TypeVar("T")


async def _poll_until(probe: Callable[[], Awaitable[T | None]], deadline: float) -> T | None:
    """``probe()``'s first non-None value, asked every ``POLL_INTERVAL`` until ``deadline``.

    Polling, not an ``asyncio.Event``: the change may come from another replica.
    """
    value = await probe()
    rounds = math.ceil(max(0.0, deadline - time.monotonic()) / POLL_INTERVAL)
    for _ in range(rounds):
        if value is not None or time.monotonic() >= deadline:
            break
        await asyncio.sleep(POLL_INTERVAL)
        value = await probe()
    return value


class ReplyCoordinator:
    """Answers within a time budget, or pushes the reply later, exactly once.

    Args:
        push: delivers parts that missed the passive window; must not raise.
        budget: seconds a request may wait for the turn (below the platform's 5 s).
        state: the channel state shared by every replica (memory by default).
        channel: name used in keys and log lines.
        ttl: seconds a message key (claim, result, delivery) is remembered.
    """

    def __init__(
        self,
        push: PushFn,
        budget: float,
        state: ChannelState | None = None,
        channel: str = "channel",
        ttl: float = DEDUPE_TTL,
    ) -> None:
        """Coordinate replies; see the class for the arguments."""
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        self._push = push
        self.budget = budget
        self.state: ChannelState = state or MemoryState()
        self._channel = channel
        self.ttl = ttl
        self._owner = Owner()
        # turns this process runs, by key, while they run
        self._runs: dict[str, asyncio.Future[list[str]]] = {}
        self._tasks: set[asyncio.Future[Any]] = set()

    def _key(self, kind: str, key: str) -> str:
        return f"{self._channel}:{kind}:{key}"

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
        claiming = asyncio.ensure_future(self._claim(key, factory))
        try:
            # shielded: a hang-up while claiming must not leave a claim without a run
            owner, future = await asyncio.shield(claiming)
        except asyncio.CancelledError:
            self._spawn(self._deliver_if_owner(claiming, key, recipient))
            raise
        if not owner:
            logger.info(
                "%s: retry of message %s from %s; waiting for the first run",
                self._channel,
                key,
                mask_id(recipient),
            )
        try:
            parts = await self._result(key, future, waiter=not owner)
        except asyncio.CancelledError:
            # the platform hung up; the reply can still be pushed
            if owner and future is not None:
                self._spawn(self.deliver_late(key, future, recipient))
            raise
        if parts is None:
            if owner and future is not None:
                logger.info(
                    "%s: message %s not answered within %.1f s; delivering it later",
                    self._channel,
                    key,
                    self.budget,
                )
                self._spawn(self.deliver_late(key, future, recipient))
            return None
        if not parts:
            return None
        deliver = self._key("deliver", key)
        if await self.state.claim(deliver, PASSIVE, self.ttl):
            if len(parts) > 1:
                # the passive reply holds one part; the rest goes through the API
                self._spawn(self._safe_push(recipient, parts[1:]))
            return parts[0]
        if await self.state.get(deliver) == PASSIVE:
            return parts[0]
        return None

    async def _claim(
        self, key: str, factory: Callable[[], Awaitable[Outcome]]
    ) -> tuple[bool, asyncio.Future[list[str]] | None]:
        """Claim the first run of ``key``; (True, its run) for the claimant only."""
        if await self.state.claim(self._key("run", key), str(self._owner), self.ttl):
            return True, self._start(key, factory)
        return False, self._runs.get(key)

    async def _deliver_if_owner(
        self,
        claiming: asyncio.Future[tuple[bool, asyncio.Future[list[str]] | None]],
        key: str,
        recipient: str,
    ) -> None:
        owner, future = await claiming
        if owner and future is not None:
            await self.deliver_late(key, future, recipient)

    def _start(
        self, key: str, factory: Callable[[], Awaitable[Outcome]]
    ) -> asyncio.Future[list[str]]:
        async def run() -> list[str]:
            try:
                parts = (await factory()).parts
            except Exception:
                logger.exception("%s: a message run failed", self._channel)
                parts = []
            try:
                await self.state.put(self._key("result", key), json.dumps(parts), self.ttl)
            finally:
                self._runs.pop(key, None)
            return parts

        future = asyncio.ensure_future(run())
        self._runs[key] = future
        self._keep(future)
        return future

    async def _result(
        self, key: str, future: asyncio.Future[list[str]] | None, *, waiter: bool
    ) -> list[str] | None:
        """The turn's parts within the budget, or None when it is not done in time."""
        wait_key = self._key("wait", key)
        if waiter:
            await self.state.put(wait_key, str(self._owner), self.budget + 1)
        try:
            if future is not None:
                # asyncio.wait neither cancels the turn on timeout nor raises its error
                await asyncio.wait({future}, timeout=self.budget)
                if future.done() and not future.cancelled() and future.exception() is None:
                    return future.result()
                if future.done():
                    return []
                return None
            return await self._poll(key, time.monotonic() + self.budget)
        finally:
            if waiter:
                await self.state.release(wait_key, str(self._owner))

    async def _poll(self, key: str, deadline: float) -> list[str] | None:
        """Wait for another replica's stored result until ``deadline`` (monotonic)."""
        stored = await _poll_until(lambda: self.state.get(self._key("result", key)), deadline)
        if stored is None:
            return None
        parts = json.loads(stored)
        return [str(p) for p in parts] if isinstance(parts, list) else []

    async def deliver_late(
        self, key: str, future: asyncio.Future[list[str]], recipient: str
    ) -> None:
        """After a late turn: let a waiting retry answer passively, else push the reply."""
        try:
            parts = await asyncio.shield(future)
        except Exception:  # logged by the run; nothing to push
            return
        wait_key = self._key("wait", key)

        async def nobody_waits() -> bool | None:
            return True if await self.state.get(wait_key) is None else None

        await _poll_until(nobody_waits, time.monotonic() + self.budget)
        if parts and await self.state.claim(self._key("deliver", key), PUSH, self.ttl):
            await self._safe_push(recipient, parts)

    async def _safe_push(self, recipient: str, parts: list[str]) -> None:
        try:
            await self._push(recipient, parts)
        except Exception:
            logger.exception("%s: pushing a reply to %s failed", self._channel, mask_id(recipient))

    def _keep(self, future: asyncio.Future[Any]) -> None:
        # keep a strong reference: the loop only holds weak ones to tasks
        self._tasks.add(future)
        future.add_done_callback(self._tasks.discard)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        self._keep(asyncio.ensure_future(coro))

    async def drain(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for running turns and pushes (on shutdown)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)
