"""Fixtures of the channel tests: a real Redis, and the channel state on it or in memory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from bot.channels.state import ChannelState, MemoryState, RedisState
from tests.channels import FakeAPIServer, FakeWeChatAPI, FakeWeiboAPI
from tests.channels.redis_server import redis_server

# Tests use their own database number, flushed before each test.
TEST_DB = 3


@pytest.fixture(scope="session")
def redis_port() -> Iterator[int]:
    """One redis-server for the session."""
    with redis_server() as port:
        yield port


async def _fresh_redis(port: int) -> RedisState:
    state = RedisState("127.0.0.1", port, db=TEST_DB)
    await state._redis.flushdb()
    return state


@pytest.fixture
async def redis_state(redis_port: int) -> AsyncIterator[RedisState]:
    """A ``RedisState`` on the session's server, flushed before the test."""
    state = await _fresh_redis(redis_port)
    yield state
    await state.close()


@pytest.fixture(params=["memory", "redis"])
async def state(request: pytest.FixtureRequest) -> AsyncIterator[ChannelState]:
    """Each test once on ``MemoryState`` and once on a real Redis."""
    if request.param == "memory":
        yield MemoryState()
        return
    redis = await _fresh_redis(request.getfixturevalue("redis_port"))
    yield redis
    await redis.close()


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client for the channel servers."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


async def _running(api: FakeAPIServer) -> AsyncIterator[FakeAPIServer]:
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
async def wechat_api() -> AsyncIterator[FakeAPIServer]:
    """The fake WeChat API, running."""
    async for api in _running(FakeWeChatAPI()):
        yield api


@pytest.fixture
async def weibo_api() -> AsyncIterator[FakeAPIServer]:
    """The fake Weibo API, running."""
    async for api in _running(FakeWeiboAPI()):
        yield api
