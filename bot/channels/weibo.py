"""Weibo fan-service connector (``credentials.yml`` key ``bot.channels.weibo.WeiboInput``).

Routes (``/webhooks/weibo/``): ``GET /`` health, ``GET /webhook`` URL verification,
``POST /webhook`` JSON message push (open.weibo.com wiki, 消息推送服务).

Weibo signs like WeChat, with the AppSecret in place of the Token:
``sha1(sorted([app_secret, timestamp, nonce]))``, timestamps in milliseconds. It
also waits 5 s and retries, so the same budget / dedupe / late-push logic applies:
in time the answer is a passive JSON reply (text under 300 characters), otherwise
an empty body and the reply follows through ``POST /2/messages/reply.json``.
Retries are recognised by sender_id + created_at.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from rasa.core.channels.channel import (
    InputChannel,
    OutputChannel,
)
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import Refused, body_too_large, mask_id, timestamp_is_fresh
from bot.channels.config import (
    API_TIMEOUT,
    DEDUPE_TTL,
    DEFAULT_REPLY_TIMEOUT,
    DEFAULT_WEIBO_API_BASE,
    MAX_BODY_BYTES,
    MAX_CLOCK_SKEW,
    ChannelConfigError,
    checked_credentials,
    float_setting,
)
from bot.channels.messages import (
    ChannelTexts,
    Reaction,
    load_texts,
    user_text,
)
from bot.channels.push import OnNewMessage, PushCollector, PushInput, PushOutput
from bot.channels.signature import check_signature
from bot.channels.state import ChannelState, state_from_settings
from bot.channels.weibo_api import WeiboAPIClient, split_weibo

logger = logging.getLogger(__name__)

# An empty body tells Weibo "received, no reply, do not retry".
NO_REPLY = ""
FOLLOW_SUBTYPES = frozenset({"follow", "subscribe", "scan_follow"})


def encode_data(payload: dict[str, Any]) -> str:
    """Weibo's ``data`` field: compact UTF-8 JSON, percent-encoded."""
    return quote(json.dumps(payload, ensure_ascii=False, separators=(",", ":")), safe="")


def passive_text_reply(push: dict[str, Any], text: str) -> dict[str, Any]:
    """The passive reply to ``push``: our account (its receiver) answers its sender."""
    return {
        "result": True,
        "sender_id": push["receiver_id"],
        "receiver_id": push["sender_id"],
        "type": "text",
        "data": encode_data({"text": text}),
    }


class WeiboCollector(PushCollector):
    """Collects a turn's messages for the passive reply."""

    channel = "weibo"


class WeiboOutput(PushOutput):
    """Sends bot messages through the fan-service API (split under 300 characters)."""

    channel = "weibo"


def _parse(body: bytes) -> dict[str, Any]:
    try:
        push = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise Refused(HTTPStatus.BAD_REQUEST, "body is not valid UTF-8") from None
    except ValueError:
        raise Refused(HTTPStatus.BAD_REQUEST, "body is not JSON") from None
    if not isinstance(push, dict):
        raise Refused(HTTPStatus.BAD_REQUEST, "body is not a JSON object")
    for field in ("sender_id", "receiver_id"):
        value = push.get(field)
        if isinstance(value, bool) or not isinstance(value, (int, str)) or value == "":
            raise Refused(HTTPStatus.BAD_REQUEST, f"missing {field}")
    return push


class WeiboInput(PushInput):
    """Weibo fan-service input channel.

    Args:
        app_secret: the AppSecret of the AppKey entered with the push URL.
        access_token: the fan-service access_token (active replies).
        api_base: base URL of the Weibo API.
        reply_timeout: seconds to wait for the bot before answering with nothing.
        max_body_bytes: larger bodies are refused with 413.
        max_clock_skew: seconds a request timestamp may be off.
        dedupe_ttl: seconds a message is remembered.
        api_timeout: seconds for each API call.
        texts: fixed texts (from the replies) and menu keys (``menu.yml`` by default).
        clock: wall clock in seconds (tests pin it to the wiki's timestamp).
        state: what replicas share (``state_from_settings``; memory by default).
    """

    no_reply = NO_REPLY
    collector = WeiboCollector

    @classmethod
    def name(cls) -> str:
        """URL prefix ``/webhooks/weibo/`` and input channel name."""
        return "weibo"

    def __init__(
        self,
        app_secret: str,
        access_token: str,
        api_base: str = DEFAULT_WEIBO_API_BASE,
        reply_timeout: float = DEFAULT_REPLY_TIMEOUT,
        *,
        max_body_bytes: int = MAX_BODY_BYTES,
        max_clock_skew: float = MAX_CLOCK_SKEW,
        dedupe_ttl: float = DEDUPE_TTL,
        api_timeout: float = API_TIMEOUT,
        texts: ChannelTexts | None = None,
        clock: Callable[[], float] = time.time,
        state: ChannelState | None = None,
    ) -> None:
        """Configure the channel; see the class for the arguments."""
        if not (app_secret and access_token):
            raise ChannelConfigError("Weibo needs app_secret and access_token")
        self.app_secret = app_secret
        self.api = WeiboAPIClient(access_token, api_base, timeout=api_timeout)
        self.max_body_bytes = max_body_bytes
        self.max_clock_skew = max_clock_skew
        self.texts = texts or load_texts()
        self._clock = clock
        self._share(state, reply_timeout, dedupe_ttl)

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Build from the ``credentials.yml`` entry (values from the environment)."""
        if not credentials:
            cls.raise_missing_credentials_exception()
        creds = checked_credentials("weibo", credentials)
        return cls(
            app_secret=str(creds["app_secret"]),
            access_token=str(creds["access_token"]),
            api_base=creds.get("api_base") or DEFAULT_WEIBO_API_BASE,
            reply_timeout=float_setting(
                creds.get("reply_timeout"), DEFAULT_REPLY_TIMEOUT, "weibo reply_timeout"
            ),
            state=state_from_settings(creds),
        )

    def get_output_channel(self) -> OutputChannel:
        """Proactive messages go through the fan-service API."""
        return WeiboOutput(self.api)

    async def _receive(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        if body_too_large(request, self.max_body_bytes):
            raise Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
        self._check_request(request)
        push = _parse(request.body)
        reply = await self._handle(push, on_new_message)
        if reply is None:
            return response.text(NO_REPLY)
        return response.json(passive_text_reply(push, reply))

    def _check_request(self, request: Request) -> None:
        """Refuse (403) unless the timestamp is recent and the signature right."""
        args = request.args
        timestamp = args.get("timestamp")
        if not timestamp_is_fresh(timestamp, self.max_clock_skew, self._clock):
            raise Refused(HTTPStatus.FORBIDDEN, "stale or missing timestamp")
        if not check_signature(
            self.app_secret, args.get("signature"), timestamp, args.get("nonce")
        ):
            raise Refused(HTTPStatus.FORBIDDEN, "bad signature")

    # -- messages ---------------------------------------------------------------
    def _react(self, push: dict[str, Any]) -> Reaction | None:
        """The bot text or fixed answer for a push; None for "no reply"."""
        msg_type = str(push.get("type") or "").lower()
        raw_data = push.get("data")
        data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
        if msg_type == "text":
            text = user_text(str(push.get("text") or ""))
            if text:
                return Reaction(text, ask_bot=True)
            return Reaction(self.texts.please_type, ask_bot=False)
        if msg_type == "event":
            subtype = str(data.get("subtype") or "").lower()
            if subtype in FOLLOW_SUBTYPES:
                return Reaction(self.texts.welcome_text(), ask_bot=False)
            if subtype == "click":
                menu_text = self.texts.menu_message(data.get("key"))
                if menu_text:
                    return Reaction(menu_text, ask_bot=True)
            # unfollow, unsubscribe, scan, unknown keys: nothing to say
            return None
        # voice, image, position, mention and types we do not know
        return Reaction(self.texts.please_type, ask_bot=False)

    @staticmethod
    def _dedupe_key(push: dict[str, Any], sender_id: str) -> str:
        created_at = push.get("created_at")
        if not created_at:
            # no documented id: fall back to the whole push, retries are identical
            created_at = json.dumps(push, sort_keys=True, ensure_ascii=False)
        source = f"{sender_id}:{created_at}"
        return "wb:" + hashlib.sha256(source.encode("utf-8")).hexdigest()[:20]

    async def _handle(self, push: dict[str, Any], on_new_message: OnNewMessage) -> str | None:
        sender_id = str(push["sender_id"])
        key = self._dedupe_key(push, sender_id)
        reaction = self._react(push)
        logger.info(
            "weibo: %s push %s from %s%s",
            push.get("type"),
            key,
            mask_id(sender_id),
            "" if reaction else " (no reply)",
        )
        if reaction is None:
            return None
        metadata = {"created_at": push.get("created_at"), "msg_type": push.get("type")}
        return await self._answer(key, sender_id, reaction, on_new_message, metadata)

    def _split(self, text: str) -> list[str]:
        return split_weibo(text)
