"""A small bounded mapping that forgets its least recently used entries."""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """At most ``size`` entries; reading or writing one makes it the most recent.

    Not thread-safe: it is meant for one asyncio event loop (a Rasa server process).
    ``size`` 0 keeps nothing (every ``get`` misses), which switches a cache off.
    """

    def __init__(self, size: int) -> None:
        """An empty cache of at most ``size`` entries."""
        if size < 0:
            raise ValueError("size must be 0 or more")
        self.size = size
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The entry for ``key`` (now the most recent), or None."""
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        """Store ``value`` as the most recent entry, evicting the oldest past ``size``."""
        if self.size == 0:
            return
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def pop(self, key: K) -> V | None:
        """Remove and return the entry for ``key``, or None."""
        return self._entries.pop(key, None)

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()

    def __len__(self) -> int:
        """How many entries are kept."""
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        """Whether ``key`` has an entry (without making it the most recent)."""
        return key in self._entries
