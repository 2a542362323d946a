"""bot.channels.dedupe: one run per message, one delivery per reply."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from bot.channels.dedupe import PASSIVE, PUSH, DedupeStore, Outcome, ReplyCoordinator


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


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


# -- DedupeStore ---------------------------------------------------------------------
@pytest.mark.asyncio
async def test_same_key_shares_one_future() -> None:
    store: DedupeStore[Outcome] = DedupeStore()
    calls, factory = counting_factory(["好"], delay=0.01)
    first, started = store.start_once("k", factory)
    again, started_again = store.start_once("k", factory)
    assert started and not started_again
    assert first is again
    assert (await first).parts == ["好"]
    assert len(calls) == 1


@pytest.mark.asyncio
async def test_entries_expire_after_ttl() -> None:
    clock = Clock()
    store: DedupeStore[Outcome] = DedupeStore(ttl=120, clock=clock)
    calls, factory = counting_factory(["a"])
    await store.start_once("k", factory)[0]
    clock.now += 119
    assert "k" in store
    assert not store.start_once("k", factory)[1]
    clock.now += 2
    assert "k" not in store
    future, started = store.start_once("k", factory)
    await future
    assert started
    assert len(calls) == 2


@pytest.mark.asyncio
async def test_store_is_bounded_oldest_first() -> None:
    store: DedupeStore[Outcome] = DedupeStore(max_entries=3)
    _, factory = counting_factory(["a"])
    futures = [store.start_once(f"k{i}", factory)[0] for i in range(5)]
    await asyncio.gather(*futures)
    assert len(store) == 3
    assert "k0" not in store and "k1" not in store
    assert "k4" in store


def test_invalid_settings() -> None:
    with pytest.raises(ValueError):
        DedupeStore(ttl=0)
    with pytest.raises(ValueError):
        DedupeStore(max_entries=0)


def test_outcome_claim_is_first_come() -> None:
    outcome = Outcome(["a", "", "b"])
    assert outcome.parts == ["a", "b"]
    assert outcome.claim(PASSIVE)
    assert not outcome.claim(PUSH)
    assert not outcome.claim(PASSIVE)
    assert outcome.delivered_by == PASSIVE


# -- ReplyCoordinator ---------------------------------------------------------------------
@pytest.mark.asyncio
async def test_concurrent_retries_run_once_and_answer_alike() -> None:
    pushes = Pushes()
    coordinator = ReplyCoordinator(pushes, budget=1.0)
    calls, factory = counting_factory(["答复"], delay=0.05)
    answers = await asyncio.gather(*(coordinator.reply("m1", "user", factory) for _ in range(4)))
    assert answers == ["答复"] * 4
    assert len(calls) == 1
    await asyncio.sleep(0.05)
    assert pushes.sent == []


@pytest.mark.asyncio
async def test_late_reply_is_pushed_once() -> None:
    pushes = Pushes()
    coordinator = ReplyCoordinator(pushes, budget=0.05)
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
async def test_a_waiting_retry_answers_passively_instead_of_the_push() -> None:
    pushes = Pushes()
    coordinator = ReplyCoordinator(pushes, budget=0.1)
    calls, factory = counting_factory(["答复"], delay=0.15)
    first = asyncio.ensure_future(coordinator.reply("m1", "user", factory))
    await asyncio.sleep(0.08)
    retry = await coordinator.reply("m1", "user", factory)  # waiting when the turn ends
    assert await first is None  # gave up at 0.1 s and scheduled a push
    await asyncio.sleep(0.15)
    assert retry == "答复"
    assert pushes.sent == []  # the passive answer won; never both
    assert len(calls) == 1


@pytest.mark.asyncio
async def test_extra_parts_of_a_passive_reply_are_pushed() -> None:
    pushes = Pushes()
    coordinator = ReplyCoordinator(pushes, budget=1.0)
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
async def test_a_failing_run_answers_nothing_and_pushes_nothing() -> None:
    pushes = Pushes()
    coordinator = ReplyCoordinator(pushes, budget=0.5)

    async def broken() -> Outcome:
        raise RuntimeError("boom")

    assert await coordinator.reply("m1", "user", broken) is None
    assert await coordinator.reply("m1", "user", broken) is None
    await asyncio.sleep(0.02)
    assert pushes.sent == []


@pytest.mark.asyncio
async def test_empty_outcome_answers_nothing() -> None:
    pushes = Pushes()
    coordinator = ReplyCoordinator(pushes, budget=0.5)
    _, factory = counting_factory([])
    assert await coordinator.reply("m1", "user", factory) is None


@pytest.mark.asyncio
async def test_cancelled_request_still_gets_its_reply_pushed() -> None:
    pushes = Pushes()
    coordinator = ReplyCoordinator(pushes, budget=5.0)
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
async def test_a_failing_push_is_contained() -> None:
    async def failing_push(recipient: str, parts: list[str]) -> None:
        raise RuntimeError("API down")

    coordinator = ReplyCoordinator(failing_push, budget=0.01)
    _, factory = counting_factory(["答复"], delay=0.05)
    assert await coordinator.reply("m1", "user", factory) is None
    await coordinator.drain(timeout=1.0)
