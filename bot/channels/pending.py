"""Replies that could not be delivered yet, kept for the customer's next message.

A reply misses WeChat's / Weibo's 5 s passive window and then cannot be pushed:
the account has no customer-service API (``WECHAT_PUSH=off``: unverified
subscription accounts), or the API refuses (48-hour window closed, quota, no
permission), or keeps failing after a few backed-off retries. Such a reply is kept
in the channel state (Redis with several replicas, so any replica finds it) and
goes out passively, after a short note, in front of the answer to the customer's
next message. Nothing is dropped silently.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from bot.channels import mask_id
from bot.channels.api_client import Delivery
from bot.channels.messages import MESSAGE_SEPARATOR
from bot.channels.state import ChannelState

logger = logging.getLogger(__name__)

# WeChat lets an account answer for 48 hours after the customer's last message;
# a customer who comes back later still gets what was said, for a week.
PENDING_TTL = 7 * 24 * 3600.0
# Seconds between attempts after a retryable failure (then the reply is kept).
RETRY_DELAYS = (1.0, 4.0, 16.0)


class PendingReplies:
    """The undelivered replies of one channel's conversations.

    Args:
        state: where they are kept (shared across replicas when Redis).
        channel: the channel name (keys of different channels never meet).
        note: the short note put before kept replies.
        ttl: seconds a kept reply waits for the customer's next message.
    """

    def __init__(
        self, state: ChannelState, channel: str, note: str, ttl: float = PENDING_TTL
    ) -> None:
        """Keep replies in ``state``; see the class for the arguments."""
        self._state = state
        self._channel = channel
        self._note = note
        self._ttl = ttl

    def _key(self, sender_id: str) -> str:
        return f"{self._channel}:pending:{sender_id}"

    async def keep(self, sender_id: str, parts: Sequence[str]) -> None:
        """Keep ``parts`` (one reply) for the next message of ``sender_id``."""
        text = "\n".join(part for part in parts if part)
        if text:
            await self._state.append(self._key(sender_id), text, self._ttl)
            logger.info("%s: kept a reply for %s's next message", self._channel, mask_id(sender_id))

    async def take(self, sender_id: str) -> str | None:
        """The kept replies with the note before them (removed), or None."""
        kept = await self._state.take_all(self._key(sender_id))
        if not kept:
            return None
        return "\n".join([self._note, MESSAGE_SEPARATOR.join(kept)])


async def deliver_or_keep(
    api: Any,
    pending: PendingReplies,
    sender_id: str,
    parts: list[str],
    delays: Sequence[float] = RETRY_DELAYS,
) -> Delivery:
    """Push ``parts``, retrying retryable failures after ``delays``; keep what did not go."""
    outcome, rest = await api.deliver(sender_id, parts)
    for delay in delays:
        if outcome is not Delivery.FAILED:
            break
        await asyncio.sleep(delay)
        outcome, rest = await api.deliver(sender_id, rest)
    if outcome is not Delivery.SENT:
        await pending.keep(sender_id, rest)
    return outcome
