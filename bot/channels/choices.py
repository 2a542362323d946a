"""Numbered choices on text channels: a typed "2" presses the second button.

WeChat and Weibo show buttons as a numbered list (``messages.render_bot_message``).
After each bot turn the channel remembers the last list of that turn for the
conversation, or forgets the previous one when the turn showed none, so only the
latest bot turn's list can be answered. A customer reply that is nothing but the
number of a listed choice, or its words ("2", "第2个", "第二个", "最后一个", "２", "2.";
``bot.choice_words``), is sent to the bot as that button's payload; a number outside
the list is answered with the list again; anything else is text as before.

The list is kept in the channel state (``bot.channels.state``): Redis with several
replicas, so the replica that receives the number knows what the other one showed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.channels.messages import button_payload, button_title, message_buttons, numbered
from bot.channels.state import ChannelState
from bot.choice_words import choice_number, may_be_choice

logger = logging.getLogger(__name__)

# A list stays answerable this long after it was shown (if no later bot turn replaced it).
CHOICES_TTL = 24 * 3600.0


@dataclass(frozen=True)
class Choices:
    """One numbered list as shown: the titles and what each button sends."""

    titles: tuple[str, ...]
    payloads: tuple[str, ...]

    @classmethod
    def last_of(cls, messages: Iterable[Mapping[str, Any]]) -> Choices | None:
        """The last list among a turn's messages, or None when the turn showed none."""
        last: Choices | None = None
        for message in messages:
            buttons = message_buttons(message)
            if buttons:
                last = cls(
                    tuple(button_title(b) for b in buttons),
                    tuple(button_payload(b) for b in buttons),
                )
        return last

    def to_json(self) -> str:
        """The stored form."""
        return json.dumps({"titles": self.titles, "payloads": self.payloads}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Choices | None:
        """The list back from its stored form; None for anything malformed."""
        try:
            raw = json.loads(text)
            titles, payloads = tuple(map(str, raw["titles"])), tuple(map(str, raw["payloads"]))
        except (ValueError, TypeError, KeyError):
            return None
        return cls(titles, payloads) if titles and len(titles) == len(payloads) else None


@dataclass(frozen=True)
class Resolution:
    """What a reply means: a button's ``payload``, or a ``reprompt`` to answer with."""

    payload: str | None = None
    reprompt: str | None = None


class ChoiceMemory:
    """The last numbered list of each conversation of one channel.

    Args:
        state: where the lists live (shared across replicas when Redis).
        channel: the channel name (keys of different channels never meet).
        out_of_range: the sentence before the repeated list, with ``{count}``.
        ttl: seconds a list stays answerable.
    """

    def __init__(
        self, state: ChannelState, channel: str, out_of_range: str, ttl: float = CHOICES_TTL
    ) -> None:
        """Remember lists in ``state``; see the class for the arguments."""
        self._state = state
        self._channel = channel
        self._out_of_range = out_of_range
        self._ttl = ttl

    def _key(self, sender_id: str) -> str:
        return f"{self._channel}:choices:{sender_id}"

    async def remember(self, sender_id: str, messages: Iterable[Mapping[str, Any]]) -> None:
        """After a bot turn: keep its last list, or forget the previous one."""
        choices = Choices.last_of(messages)
        if choices is None:
            await self._state.delete(self._key(sender_id))
        else:
            await self._state.put(self._key(sender_id), choices.to_json(), self._ttl)

    async def resolve(self, sender_id: str, text: str) -> Resolution:
        """The payload a typed number stands for, a reprompt, or neither (plain text)."""
        if not may_be_choice(text):
            return Resolution()
        stored = await self._state.get(self._key(sender_id))
        choices = Choices.from_json(stored) if stored else None
        if choices is None:
            return Resolution()
        number = choice_number(text, len(choices.titles))
        if number is None:
            return Resolution()
        if 1 <= number <= len(choices.titles):
            return Resolution(payload=choices.payloads[number - 1])
        lines = [self._out_of_range.format(count=len(choices.titles)), *numbered(choices.titles)]
        return Resolution(reprompt="\n".join(lines))
