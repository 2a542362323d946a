"""bot.channels.dedupe: one run per message, one delivery per reply."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from bot.channels.dedupe import Outcome, ReplyCoordinator
from bot.channels.state import ChannelState, RedisState
from tests.channels.conftest import TEST_DB


class Pushes:
    """Records what the coordinator pushes."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[str]]] = []
        self._changed = asyncio.Event()

    async def __call__(self, recipient: str, parts: list[str]) -> None:
        self.sent.append((recipient, parts))
        self._changed.set()

    async def wait(self, count: int, timeout: float = 2.0) -> None:
        async def until() -> None:
            while len(self.sent) < count:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(until(), timeout)


def counting_factory(
    parts: list[str], delay: float = 0.0, calls: list[int] | None = None
) -> tuple[list[int], Callable[[], Awaitable[Outcome]]]:
    """A factory returning ``Outcome(parts)`` after ``delay``, counting its calls."""
    counter = calls if calls is not None else []

    async def run() -> Outcome:
        counter.append(1)
        await asyncio.sleep(delay)
        return Outcome(parts)

    return counter, run


# -- ReplyCoordinator ---------------------------------------------------------------------
@pytest.mark.asyncio
async def test_concurrent_retries_run_once_and_answer_alike(state: ChannelState) -> None:
    pushes = Pushes()
    coordinator = ReplyCoordinator(pushes, budget=1.0, state=state)
    calls, factory = counting_factory(["答复"], delay=0.05)
    answers = await asyncio.gather(*(coordinator.reply("m1", "user", factory) for _ in range(4)))
    assert answers == ["答复"] * 4
    assert len(calls) == 1
    await asyncio.sleep(0.05)
    assert pushes.sent == []


@pytest.mark.asyncio
async def test_late_reply_is_pushed_once(state: ChannelState) -> None:
    pushes = Pushes()
    coordinator = ReplyCoordinator(pushes, budget=0.05, state=state)
    calls, factory = counting_factory(["迟到的答复"], delay=0.2)
    answers = await asyncio.gather(*(coordinator.reply("m1", "user", factory) for _ in range(3)))
    assert answers == [None, None, None]
    await pushes.wait(1)
    await asyncio.sleep(0.05)
    assert pushes.sent == [("user", ["迟到的答复"])]
    assert len(calls) == 1
    # a retry after the push stays silent: the reply was delivered
    assert await coordinator.reply("m1", "user", factory) is None
    assert len(pushes.sent) == 1


@pytest.mark.asyncio
async def test_a_waiting_retry_answers_passively_instead_of_the_push(state: ChannelState) -> None:
    pushes = Pushes()
    coordinator = ReplyCoordinator(pushes, budget=0.5, state=state)
    calls, factory = counting_factory(["答复"], delay=0.75)
    first = asyncio.ensure_future(coordinator.reply("m1", "user", factory))
    await asyncio.sleep(0.4)
    retry = await coordinator.reply("m1", "user", factory)  # waiting when the turn ends
    assert await first is None  # gave up at 0.5 s and scheduled a push
    await asyncio.sleep(0.5)
    assert retry == "答复"
    assert pushes.sent == []  # the passive answer won; never both
    assert len(calls) == 1


@pytest.mark.asyncio
async def test_extra_parts_of_a_passive_reply_are_pushed(state: ChannelState) -> None:
    pushes = Pushes()
    coordinator = ReplyCoordinator(pushes, budget=1.0, state=state)
    _, factory = counting_factory(["一", "二", "三"])
    answers = await asyncio.gather(
        coordinator.reply("m1", "user", factory),
        coordinator.reply("m1", "user", factory),
    )
    assert answers == ["一", "一"]
    await pushes.wait(1)
    await asyncio.sleep(0.02)
    assert pushes.sent == [("user", ["二", "三"])]


@pytest.mark.asyncio
async def test_a_failing_run_answers_nothing_and_pushes_nothing(state: ChannelState) -> None:
    pushes = Pushes()
    coordinator = ReplyCoordinator(pushes, budget=0.5, state=state)

    async def broken() -> Outcome:
        raise RuntimeError("boom")

    assert await coordinator.reply("m1", "user", broken) is None
    assert await coordinator.reply("m1", "user", broken) is None
    await asyncio.sleep(0.02)
    assert pushes.sent == []


@pytest.mark.asyncio
async def test_empty_outcome_answers_nothing(state: ChannelState) -> None:
    pushes = Pushes()
    coordinator = ReplyCoordinator(pushes, budget=0.5, state=state)
    _, factory = counting_factory([])
    assert await coordinator.reply("m1", "user", factory) is None


@pytest.mark.asyncio
async def test_cancelled_request_still_gets_its_reply_pushed(state: ChannelState) -> None:
    pushes = Pushes()
    coordinator = ReplyCoordinator(pushes, budget=5.0, state=state)
    calls, factory = counting_factory(["答复"], delay=0.1)
    request = asyncio.ensure_future(coordinator.reply("m1", "user", factory))
    await asyncio.sleep(0.02)
    request.cancel()  # the platform hung up
    with pytest.raises(asyncio.CancelledError):
        await request
    await pushes.wait(1)
    assert pushes.sent == [("user", ["答复"])]
    assert len(calls) == 1


@pytest.mark.asyncio
async def test_a_failing_push_is_contained(state: ChannelState) -> None:
    async def failing_push(recipient: str, parts: list[str]) -> None:
        raise RuntimeError("API down")

    coordinator = ReplyCoordinator(failing_push, budget=0.01, state=state)
    _, factory = counting_factory(["答复"], delay=0.05)
    assert await coordinator.reply("m1", "user", factory) is None
    await coordinator.drain(timeout=1.0)


def test_outcome_drops_empty_parts() -> None:
    assert Outcome(["a", "", "b"]).parts == ["a", "b"]


# -- two replicas on one Redis ---------------------------------------------------------
@asynccontextmanager
async def replicas(
    redis_state: RedisState, port: int, budget: float
) -> AsyncIterator[tuple[Pushes, Pushes, ReplyCoordinator, ReplyCoordinator]]:
    """Two coordinators, as on two Rasa servers, each with its own Redis connection."""
    other = RedisState("127.0.0.1", port, db=TEST_DB)
    pushes_a, pushes_b = Pushes(), Pushes()
    a = ReplyCoordinator(pushes_a, budget=budget, state=redis_state, channel="wechat")
    b = ReplyCoordinator(pushes_b, budget=budget, state=other, channel="wechat")
    try:
        yield pushes_a, pushes_b, a, b
    finally:
        await other.close()


async def test_retries_on_two_replicas_run_once_and_answer_alike(
    redis_state: RedisState, redis_port: int
) -> None:
    async with replicas(redis_state, redis_port, 1.0) as (pushes_a, pushes_b, a, b):
        calls: list[int] = []
        _, factory = counting_factory(["答复"], delay=0.1, calls=calls)
        answers = await asyncio.gather(
            a.reply("m1", "user", factory),
            b.reply("m1", "user", factory),
            b.reply("m1", "user", factory),
        )
        assert answers == ["答复"] * 3
        assert len(calls) == 1
        await asyncio.sleep(0.1)
        assert pushes_a.sent == pushes_b.sent == []


async def test_a_late_reply_is_pushed_once_by_the_replica_that_ran_it(
    redis_state: RedisState, redis_port: int
) -> None:
    async with replicas(redis_state, redis_port, 0.05) as (pushes_a, pushes_b, a, b):
        calls: list[int] = []
        _, factory = counting_factory(["迟到"], delay=0.2, calls=calls)
        answers = await asyncio.gather(
            a.reply("m1", "user", factory), b.reply("m1", "user", factory)
        )
        assert answers == [None, None]
        await pushes_a.wait(1)
        await asyncio.sleep(0.1)
        assert pushes_a.sent == [("user", ["迟到"])]
        assert pushes_b.sent == []
        assert len(calls) == 1
        # a later retry on the other replica stays silent: the reply was pushed
        assert await b.reply("m1", "user", factory) is None


async def test_a_retry_waiting_on_another_replica_answers_instead_of_the_push(
    redis_state: RedisState, redis_port: int
) -> None:
    # Wide margins, both ways: the first gives up at 2 s, 0.6 s before the turn ends at
    # 2.6 s; the retry, waiting from 1.2 s, gives up at 3.2 s, 0.6 s after it (with 0.3 s
    # each way a loaded CI machine once ended the turn after the retry gave up).
    async with replicas(redis_state, redis_port, 2.0) as (pushes_a, pushes_b, a, b):
        calls: list[int] = []
        _, factory = counting_factory(["答复"], delay=2.6, calls=calls)
        first = asyncio.ensure_future(a.reply("m1", "user", factory))
        await asyncio.sleep(1.2)
        retry = await b.reply("m1", "user", factory)  # still waiting when the turn ends
        assert await first is None
        await asyncio.sleep(0.5)
        assert retry == "答复"
        assert pushes_a.sent == pushes_b.sent == []
        assert len(calls) == 1
