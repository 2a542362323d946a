"""What the WeChat and Weibo API clients share: one aiohttp session per event loop.

Each client sends text messages with ``send_texts(recipient, texts) -> bool`` and
never raises to the caller; every HTTP call has a total timeout.
"""

from __future__ import annotations

import abc
import asyncio
import enum
from collections.abc import Iterable
from typing import Any

import aiohttp

from bot.channels.config import API_TIMEOUT


class Delivery(enum.Enum):
    """How sending one message went."""

    SENT = "sent"
    # the platform will not take it now (window closed, quota, no permission):
    # keep the reply for the customer's next message instead of retrying
    REFUSED = "refused"
    # network trouble or a platform error worth retrying later
    FAILED = "failed"


class PlatformAPIClient(abc.ABC):
    """An HTTP session bound to the running event loop, with a total timeout per call."""

    def __init__(self, api_base: str, timeout: float = API_TIMEOUT) -> None:
        """Talk to ``api_base``; each HTTP call may take ``timeout`` seconds in all."""
        self.api_base = api_base.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _bind_loop(self) -> None:
        # the session (and subclasses' locks) belong to one event loop; start afresh
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop = loop
            self._session = None
            self._on_new_loop()

    def _on_new_loop(self) -> None:  # noqa: B027  (optional hook: by default nothing to reset)
        """Hook for subclasses with their own loop-bound objects."""

    def _http(self) -> aiohttp.ClientSession:
        self._bind_loop()
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        """Close the HTTP session (on server shutdown)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    @abc.abstractmethod
    def _split(self, text: str) -> list[str]:
        """``text`` in the parts one platform message can hold."""

    @abc.abstractmethod
    async def _send_part(self, recipient: str, part: str) -> Delivery:
        """Send one part; how it went. Never raises."""

    async def deliver(self, recipient: str, texts: Iterable[str]) -> tuple[Delivery, list[str]]:
        """Send texts in order, split as the platform needs; stop at the first failure.

        Later parts would fail the same way, and a reply missing its middle reads worse
        than one cut short.

        Returns:
            ``SENT`` and nothing, or the first failure and the parts not delivered.
        """
        parts = [part for text in texts for part in self._split(text)]
        for index, part in enumerate(parts):
            outcome = await self._send_part(recipient, part)
            if outcome is not Delivery.SENT:
                return outcome, parts[index:]
        return Delivery.SENT, []

    async def send_texts(self, recipient: str, texts: Iterable[str]) -> bool:
        """Send texts in order (see ``deliver``); True when every part went."""
        outcome, _ = await self.deliver(recipient, texts)
        return outcome is Delivery.SENT

    @staticmethod
    async def _json(response: aiohttp.ClientResponse) -> dict[str, Any]:
        data = await response.json(content_type=None)
        if not isinstance(data, dict):
            raise TypeError("API answered with a non-object")
        return data
