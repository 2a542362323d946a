"""Short-lived channel state every replica can see: one small interface, two stores.

The channels keep a few things between requests: which process runs a message's
turn and its result (dedupe, ``bot.channels.dedupe``), who delivered the reply, the
last numbered list shown to a conversation (``bot.channels.choices``), the WeChat
access_token and its refresh lock, replies waiting for the customer's next message
and the signed webhook's nonces. With several Rasa servers (or Sanic workers) they
must live in Redis: ``RedisState``, configured from the same ``REDIS_HOST`` /
``REDIS_PORT`` as the production profile's lock store. ``MemoryState`` is the
embedded single-process default; it is correct only while one process serves the
channel.

Every value is a string with a time to live; ``claim`` is Redis' ``SET key value NX
EX ttl`` (atomic across replicas), ``release`` deletes a key only while it still
holds the caller's value (a lock is never freed by someone else).
"""

from __future__ import annotations

import abc
import logging
import os
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from bot.channels.config import DEDUPE_MAX_ENTRIES, ChannelConfigError

logger = logging.getLogger(__name__)

# Keys of all channels live under this prefix, apart from the lock store's "ppa:lock".
KEY_PREFIX = "ppa:channels:"
# Redis calls are on the request path: fail fast rather than hold the 5 s window.
REDIS_TIMEOUT = 2.0
DEFAULT_REDIS_PORT = 6379
DEFAULT_REDIS_DB = 1

_RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""
_TAKE_SCRIPT = """
local items = redis.call('lrange', KEYS[1], 0, -1)
redis.call('del', KEYS[1])
return items
"""


class Owner:
    """The value a caller puts in its claims and locks: unique per instance and process.

    Sanic forks its workers (``SANIC_WORKERS`` > 1) after the channels are built, so an
    id drawn once in ``__init__`` would be the same in every worker, and one worker
    could ``release`` another's lock. The process id tells the workers apart.
    """

    def __init__(self) -> None:
        """A new owner (replicas and instances differ by their random part)."""
        self._id = uuid.uuid4().hex

    def __str__(self) -> str:
        """The owner value of the current process."""
        return f"{self._id}-{os.getpid()}"


def _seconds(ttl: float) -> int:
    # Redis EX takes whole seconds; never round a short life down to "no expiry"
    return max(1, int(ttl + 0.999))


class ChannelState(abc.ABC):
    """Strings with a time to live, shared by every process that uses the same store."""

    @abc.abstractmethod
    async def claim(self, key: str, value: str, ttl: float) -> bool:
        """Set ``key`` to ``value`` for ``ttl`` seconds unless it exists; True if set."""

    @abc.abstractmethod
    async def get(self, key: str) -> str | None:
        """The value of ``key``, or None when missing or expired."""

    @abc.abstractmethod
    async def put(self, key: str, value: str, ttl: float) -> None:
        """Set ``key`` to ``value`` for ``ttl`` seconds, replacing any value."""

    @abc.abstractmethod
    async def delete(self, key: str) -> None:
        """Forget ``key``."""

    @abc.abstractmethod
    async def release(self, key: str, value: str) -> None:
        """Forget ``key`` only while it still holds ``value`` (a lock's owner)."""

    @abc.abstractmethod
    async def append(self, key: str, value: str, ttl: float) -> None:
        """Add ``value`` to the list at ``key``; the list lives ``ttl`` from now."""

    @abc.abstractmethod
    async def take_all(self, key: str) -> list[str]:
        """The list at ``key``, removed in the same step (each item is taken once)."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release connections (on server shutdown)."""


class MemoryState(ChannelState):
    """In-process store for the embedded single-process default (bounded, oldest out).

    Args:
        max_entries: at most this many keys; the oldest go first.
        clock: monotonic clock in seconds (tests move it by hand).
    """

    def __init__(
        self,
        max_entries: int = DEDUPE_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """An empty store; see the class for the arguments."""
        if max_entries < 1:
            raise ValueError("max_entries must be positive")
        self.max_entries = max_entries
        self._clock = clock
        self._values: OrderedDict[str, tuple[float, Any]] = OrderedDict()

    def __len__(self) -> int:
        """The number of live keys."""
        return sum(1 for key in list(self._values) if self._live(key) is not None)

    def _live(self, key: str) -> Any | None:
        entry = self._values.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._values[key]
            return None
        return entry[1]

    def _set(self, key: str, value: Any, ttl: float) -> None:
        self._values.pop(key, None)
        self._values[key] = (self._clock() + ttl, value)
        while len(self._values) > self.max_entries:
            self._values.popitem(last=False)

    # no await inside: each method is atomic for the single event loop using it
    async def claim(self, key: str, value: str, ttl: float) -> bool:
        """Set unless present; True if set."""
        if self._live(key) is not None:
            return False
        self._set(key, value, ttl)
        return True

    async def get(self, key: str) -> str | None:
        """The live value, or None."""
        value = self._live(key)
        return value if isinstance(value, str) else None

    async def put(self, key: str, value: str, ttl: float) -> None:
        """Set, replacing."""
        self._set(key, value, ttl)

    async def delete(self, key: str) -> None:
        """Forget."""
        self._values.pop(key, None)

    async def release(self, key: str, value: str) -> None:
        """Forget while it holds ``value``."""
        if self._live(key) == value:
            del self._values[key]

    async def append(self, key: str, value: str, ttl: float) -> None:
        """Add to the list and renew its life."""
        items = self._live(key)
        self._set(key, [*(items if isinstance(items, list) else []), value], ttl)

    async def take_all(self, key: str) -> list[str]:
        """The list, removed."""
        items = self._live(key)
        self._values.pop(key, None)
        return list(items) if isinstance(items, list) else []

    async def close(self) -> None:
        """Nothing to release."""


class RedisState(ChannelState):
    """The shared store: Redis (the production profile's lock-store server).

    Args:
        host: Redis host name.
        port: its port.
        db: database number (the lock store's by default; keys are prefixed).
        password: optional password.
        timeout: seconds for connecting and for each command.
    """

    def __init__(
        self,
        host: str,
        port: int = DEFAULT_REDIS_PORT,
        db: int = DEFAULT_REDIS_DB,
        password: str | None = None,
        timeout: float = REDIS_TIMEOUT,
    ) -> None:
        """Connect lazily (on the first command); see the class for the arguments."""
        import redis.asyncio as aioredis  # only the production profile needs it

        self._redis = aioredis.Redis(
            host=host,
            port=port,
            db=db,
            password=password or None,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            decode_responses=True,
        )
        self._release = self._redis.register_script(_RELEASE_SCRIPT)
        self._take = self._redis.register_script(_TAKE_SCRIPT)

    async def claim(self, key: str, value: str, ttl: float) -> bool:
        """``SET key value NX EX ttl``."""
        return bool(await self._redis.set(KEY_PREFIX + key, value, nx=True, ex=_seconds(ttl)))

    async def get(self, key: str) -> str | None:
        """``GET``."""
        value = await self._redis.get(KEY_PREFIX + key)
        return None if value is None else str(value)

    async def put(self, key: str, value: str, ttl: float) -> None:
        """``SET key value EX ttl``."""
        await self._redis.set(KEY_PREFIX + key, value, ex=_seconds(ttl))

    async def delete(self, key: str) -> None:
        """``DEL``."""
        await self._redis.delete(KEY_PREFIX + key)

    async def release(self, key: str, value: str) -> None:
        """Compare-and-delete in one Lua script."""
        await self._release(keys=[KEY_PREFIX + key], args=[value])

    async def append(self, key: str, value: str, ttl: float) -> None:
        """``RPUSH`` and ``EXPIRE`` in one transaction."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(KEY_PREFIX + key, value)
            pipe.expire(KEY_PREFIX + key, _seconds(ttl))
            await pipe.execute()

    async def take_all(self, key: str) -> list[str]:
        """``LRANGE`` and ``DEL`` in one Lua script."""
        items = await self._take(keys=[KEY_PREFIX + key])
        return [str(item) for item in items or []]

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.close()


def _int_env(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name) or default)
    except ValueError:
        return default


def state_from_settings(settings: Mapping[str, Any]) -> ChannelState:
    """``RedisState`` when ``redis_host`` is set (credentials from the environment), else memory.

    Raises:
        ChannelConfigError: ``redis_port`` / ``redis_db`` are not whole numbers.
    """
    host = str(settings.get("redis_host") or "").strip()
    if not host:
        if _int_env("SANIC_WORKERS", 1) > 1:
            logger.warning(
                "channels: SANIC_WORKERS > 1 without REDIS_HOST; retries and numbered "
                "choices are only remembered per worker process"
            )
        return MemoryState()
    try:
        port = int(settings.get("redis_port") or DEFAULT_REDIS_PORT)
        db = int(settings.get("redis_db") or DEFAULT_REDIS_DB)
    except (TypeError, ValueError):
        raise ChannelConfigError("redis_port and redis_db must be whole numbers") from None
    password = settings.get("redis_password")
    return RedisState(host, port, db, str(password) if password else None)
