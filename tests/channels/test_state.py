"""bot.channels.state: the same behaviour in memory and on a real Redis."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import uuid
from collections.abc import Awaitable, Callable

import pytest

from bot.channels.config import ChannelConfigError
from bot.channels.state import (
    ChannelState,
    MemoryState,
    Owner,
    RedisState,
    state_from_settings,
)
from tests.channels.conftest import TEST_DB


async def test_claim_is_first_come(state: ChannelState) -> None:
    results = await asyncio.gather(*(state.claim("k", f"v{i}", 60) for i in range(5)))
    assert results.count(True) == 1
    assert await state.get("k") == f"v{results.index(True)}"


async def test_put_get_delete(state: ChannelState) -> None:
    assert await state.get("missing") is None
    await state.put("k", "一", 60)
    await state.put("k", "二", 60)
    assert await state.get("k") == "二"
    await state.delete("k")
    assert await state.get("k") is None


async def test_release_only_frees_the_owners_lock(state: ChannelState) -> None:
    assert await state.claim("lock", "me", 60)
    await state.release("lock", "someone else")
    assert await state.get("lock") == "me"
    await state.release("lock", "me")
    assert await state.claim("lock", "you", 60)


async def test_take_all_takes_each_item_once(state: ChannelState) -> None:
    for text in ("a", "b", "c"):
        await state.append("list", text, 60)
    taken = await asyncio.gather(state.take_all("list"), state.take_all("list"))
    assert sorted(taken, key=len) == [[], ["a", "b", "c"]]


async def test_values_expire(state: ChannelState) -> None:
    await state.put("short", "x", 1)
    assert await state.claim("claim", "x", 1)
    await asyncio.sleep(1.2)
    assert await state.get("short") is None
    assert await state.claim("claim", "y", 1)


def test_memory_state_is_bounded() -> None:
    now = [0.0]
    state = MemoryState(max_entries=2, clock=lambda: now[0])

    async def fill() -> None:
        for key in ("a", "b", "c"):
            await state.put(key, key, 60)

    asyncio.run(fill())
    assert len(state) == 2
    assert asyncio.run(state.get("a")) is None
    now[0] = 61
    assert len(state) == 0


def test_settings_choose_the_store(redis_port: int) -> None:
    assert isinstance(state_from_settings({}), MemoryState)
    redis = state_from_settings({"redis_host": "127.0.0.1", "redis_port": str(redis_port)})
    assert isinstance(redis, RedisState)
    with pytest.raises(ChannelConfigError):
        state_from_settings({"redis_host": "127.0.0.1", "redis_port": "six"})


async def test_two_clients_see_one_redis(redis_state: RedisState, redis_port: int) -> None:
    other = RedisState("127.0.0.1", redis_port, db=TEST_DB)
    try:
        assert await redis_state.claim("run:m1", "replica-a", 60)
        assert not await other.claim("run:m1", "replica-b", 60)
        assert await other.get("run:m1") == "replica-a"
    finally:
        await other.close()


def test_several_workers_without_redis_are_warned(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.channels.state")
    monkeypatch.setenv("SANIC_WORKERS", "1")
    state_from_settings({})
    assert not caplog.records
    monkeypatch.setenv("SANIC_WORKERS", "4")
    assert isinstance(state_from_settings({}), MemoryState)
    assert "SANIC_WORKERS > 1 without REDIS_HOST" in caplog.text


def _in_forked_worker(port: int, work: Callable[[RedisState], Awaitable[None]]) -> None:
    """Run ``work`` on Redis in a forked child process, as Sanic runs each worker."""

    def worker() -> None:
        async def run() -> None:
            state = RedisState("127.0.0.1", port, db=TEST_DB)
            try:
                await work(state)
            finally:
                await state.close()

        asyncio.run(run())

    child = multiprocessing.get_context("fork").Process(target=worker)
    child.start()
    child.join(30)
    assert child.exitcode == 0


def test_forked_workers_cannot_free_each_others_locks(redis_port: int) -> None:
    # built once, before Sanic forks the workers, as Rasa builds the channels
    owner, key = Owner(), f"lock:{uuid.uuid4().hex}"

    async def hold(state: RedisState) -> None:
        assert await state.claim(key, str(owner), 60)

    async def free(state: RedisState) -> None:
        await state.release(key, str(owner))  # the sibling's "own" release

    _in_forked_worker(redis_port, hold)
    _in_forked_worker(redis_port, free)

    async def holder() -> str | None:
        state = RedisState("127.0.0.1", redis_port, db=TEST_DB)
        try:
            return await state.get(key)
        finally:
            await state.close()

    held = asyncio.run(holder())
    assert held is not None and held != str(owner)  # still the first worker's
