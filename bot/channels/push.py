"""What WeChat and Weibo share: routes, the deduplicated bot turn, the output channels.

Both platforms verify a URL with a signed GET that must echo ``echostr``, push
messages by POST, and give up on an answer after 5 s. Subclasses supply the request
check, the push parsing, the platform's message size and its API client (which has
``send_texts(recipient, texts) -> bool`` and ``close()``); this module turns refusals
into their status codes, anything unexpected into the platform's "received, no
reply" answer, and runs each bot turn once however often the platform retries.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any, ClassVar

from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    OutputChannel,
    UserMessage,
)
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import Refused, mask_id, refusal
from bot.channels.api_client import Delivery
from bot.channels.choices import ChoiceMemory
from bot.channels.dedupe import Outcome, ReplyCoordinator
from bot.channels.messages import (
    MESSAGE_SEPARATOR,
    ChannelTexts,
    Reaction,
    join_bot_messages,
    render_bot_message,
)
from bot.channels.pending import RETRY_DELAYS, PendingReplies, deliver_or_keep
from bot.channels.state import ChannelState, MemoryState

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class PushCollector(CollectingOutputChannel):
    """Collects a turn's messages; named after the channel for channel-specific responses."""

    channel: ClassVar[str]

    @classmethod
    def name(cls) -> str:
        """Channel name used by Rasa to pick response variations."""
        return cls.channel


class PushOutput(OutputChannel):
    """Proactive messages through the platform's API (e.g. a reply that came too late)."""

    channel: ClassVar[str]

    def __init__(self, api: Any) -> None:
        """Send through ``api`` (the platform's API client)."""
        self.api = api

    @classmethod
    def name(cls) -> str:
        """Channel name used by Rasa to pick response variations."""
        return cls.channel

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """Flatten a message (buttons, images) into text and send it."""
        text = render_bot_message(message)
        if text:
            await self.api.send_texts(recipient_id, [text])

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Send a text, split as the platform requires."""
        await self.api.send_texts(recipient_id, [text])


class PushInput(InputChannel, abc.ABC):
    """Base for push-style connectors; subclasses set ``api`` and call ``_share``."""

    coordinator: ReplyCoordinator
    choices: ChoiceMemory
    state: ChannelState
    texts: ChannelTexts
    api: Any
    collector: ClassVar[type[PushCollector]]
    # The body the platform takes as "received, no reply, do not retry".
    no_reply = "success"

    push_enabled = True
    retry_delays: tuple[float, ...] = RETRY_DELAYS

    def _share(self, state: ChannelState | None, reply_timeout: float, dedupe_ttl: float) -> None:
        """Set up what replicas share: replies, choices, pending replies (needs ``texts``)."""
        self.state = state or MemoryState()
        self.pending = PendingReplies(self.state, self.name(), self.texts.pending_note)
        self.coordinator = ReplyCoordinator(
            self._push, reply_timeout, self.state, channel=self.name(), ttl=dedupe_ttl
        )
        self.choices = ChoiceMemory(self.state, self.name(), self.texts.choice_out_of_range)

    @abc.abstractmethod
    def _split(self, text: str) -> list[str]:
        """Cut a reply into the parts one platform message can hold."""

    async def _answer(
        self,
        key: str,
        sender_id: str,
        reaction: Reaction,
        on_new_message: OnNewMessage,
        metadata: dict[str, Any],
        message_id: str | None = None,
    ) -> str | None:
        """The passive reply: the fixed answer, or the bot's turn, run once per ``key``."""

        async def turn() -> Outcome:
            # taken inside the once-only run: a retry cannot take (and lose) them twice
            kept = await self.pending.take(sender_id)
            reply = await answer()
            return Outcome(self._split(MESSAGE_SEPARATOR.join(t for t in (kept, reply) if t)))

        async def answer() -> str:
            if not reaction.ask_bot:
                return reaction.text
            # resolved inside the once-only run: a retry never re-reads a newer list
            choice = await self.choices.resolve(sender_id, reaction.text)
            if choice.reprompt:
                return choice.reprompt
            collector = self.collector()
            message = UserMessage(
                choice.payload or reaction.text,
                collector,
                sender_id,
                input_channel=self.name(),
                message_id=message_id,
                metadata={k: v for k, v in metadata.items() if v},
            )
            try:
                await on_new_message(message)
            except Exception:
                logger.exception(
                    "%s: the bot failed on a message from %s", self.name(), mask_id(sender_id)
                )
            await self.choices.remember(sender_id, collector.messages)
            return join_bot_messages(collector.messages)

        return await self.coordinator.reply(key, sender_id, turn)

    async def _push(self, sender_id: str, parts: list[str]) -> None:
        """Deliver a reply that missed the passive window: the API, or kept for later."""
        if not self.push_enabled:
            await self.pending.keep(sender_id, parts)
            return
        outcome = await deliver_or_keep(self.api, self.pending, sender_id, parts, self.retry_delays)
        if outcome is not Delivery.SENT:
            logger.warning(
                "%s: a late reply to %s was not delivered (%s); kept for the next message",
                self.name(),
                mask_id(sender_id),
                outcome.value,
            )

    @abc.abstractmethod
    def _check_request(self, request: Request) -> None:
        """Raise :class:`Refused` unless the request is signed and fresh."""

    @abc.abstractmethod
    async def _receive(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        """Handle one push and build the passive reply."""

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """Health, URL verification and message push routes."""
        name = self.name()
        webhook = Blueprint(f"{name}_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            try:
                self._check_request(request)
                echostr = request.args.get("echostr")
                if not echostr:
                    raise Refused(HTTPStatus.BAD_REQUEST, "missing echostr")
            except Refused as exc:
                return refusal(exc, name)
            logger.info("%s: URL verified", name)
            return response.text(echostr)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                return await self._receive(request, on_new_message)
            except Refused as exc:
                return refusal(exc, name)
            except Exception:
                logger.exception("%s: unexpected error while handling a push", name)
                return response.text(self.no_reply)

        @webhook.listener("after_server_stop")
        async def close(*_: Any) -> None:
            await self.coordinator.drain(timeout=5.0)
            await self.api.close()
            await self.state.close()

        return webhook
