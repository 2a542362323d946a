"""Messaging channels of the bot: WeChat OA, Weibo fan service and a signed webhook.

Each channel is a Rasa ``InputChannel`` (``bot.channels.wechat.WeChatInput``,
``bot.channels.weibo.WeiboInput``, ``bot.channels.signed_webhook.SignedWebhookInput``)
enabled through ``credentials.yml``; ``bot.channels.config`` decides which ones from
the environment.

This package module only holds the few request guards the channels share. It must
stay free of heavy imports: the run script imports ``bot.channels.config``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from sanic.request import Request
    from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

# Platforms send 13-digit millisecond timestamps (Weibo) or 10-digit seconds (WeChat);
# anything above this many seconds (year 5138) must be milliseconds.
_MILLISECONDS_THRESHOLD = 100_000_000_000


def mask_id(value: str | None) -> str:
    """A user id shortened for logs: enough to correlate lines, not to identify anyone."""
    if not value:
        return "-"
    text = str(value)
    if len(text) <= 8:
        return "***"
    return f"{text[:3]}***{text[-3:]}"


def body_too_large(request: Request, limit: int) -> bool:
    """True when the request body (announced or received) is over ``limit`` bytes."""
    announced = request.headers.get("content-length")
    if announced is not None:
        try:
            if int(announced) > limit:
                return True
        except ValueError:
            # a broken header is Sanic's business; fall back to the real size
            pass
    return len(request.body or b"") > limit


def timestamp_is_fresh(
    timestamp: str | None,
    max_skew: float,
    clock: Callable[[], float] = time.time,
) -> bool:
    """True when ``timestamp`` (seconds or milliseconds) is within ``max_skew`` of now.

    Rejecting old (and far-future) timestamps limits the replay of a captured, validly
    signed request to a short window.
    """
    if not timestamp or not (timestamp.isascii() and timestamp.isdigit()):
        return False
    value = int(timestamp)
    seconds = value / 1000 if value >= _MILLISECONDS_THRESHOLD else float(value)
    return abs(clock() - seconds) <= max_skew


class Refused(Exception):
    """A request to refuse: the HTTP ``status`` and a short ``reason`` (no content)."""

    def __init__(self, status: HTTPStatus, reason: str) -> None:
        """Refuse with ``status`` for ``reason``."""
        super().__init__(reason)
        self.status = status
        self.reason = reason


def refusal(exc: Refused, channel: str) -> HTTPResponse:
    """Log a refused request (reason only: no ids, no content) and answer it."""
    from sanic import response  # here so that importing the package stays light

    logger.warning("%s: refused a request (%d): %s", channel, exc.status, exc.reason)
    return response.text(exc.reason, status=exc.status)
