"""WeChat Official Account connector (``credentials.yml`` key ``bot.channels.wechat.WeChatInput``).

Routes (``/webhooks/wechat/``): ``GET /`` health, ``GET /webhook`` URL verification,
``POST /webhook`` message push in plain, compatible or safe (AES) mode.

A push is answered within WeChat's 5 s window: the bot turn runs as a task and the
request waits up to ``reply_timeout`` (default 4.5 s). In time, the reply is a
passive XML message (encrypted when the push was); too late, the answer is
``success`` and the reply follows through the customer-service API. Retries of a
message (same MsgId, or same user + CreateTime for events) wait for the first run
instead of asking the bot again.

Requests are checked before anything else: body size (413), timestamp within
5 minutes and signature (403), DTD-free UTF-8 XML (400). The caller never sees a
500 or a traceback, and logs carry masked OpenIDs, never message content.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from rasa.core.channels.channel import (
    InputChannel,
    OutputChannel,
)
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import (
    Refused,
    body_too_large,
    mask_id,
    timestamp_is_fresh,
)
from bot.channels.config import (
    API_TIMEOUT,
    DEDUPE_TTL,
    DEFAULT_REPLY_TIMEOUT,
    DEFAULT_WECHAT_API_BASE,
    MAX_BODY_BYTES,
    MAX_CLOCK_SKEW,
    ChannelConfigError,
    checked_credentials,
    float_setting,
    switch_setting,
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
from bot.channels.wechat_api import WeChatAPIClient, split_utf8
from bot.channels.wechat_crypto import (
    InvalidAppIdError,
    WeChatCrypto,
    WeChatCryptoError,
)
from bot.channels.wechat_xml import WeChatXMLError, build_text_reply, parse_message

logger = logging.getLogger(__name__)

# The body WeChat takes as "received, no reply, do not retry".
NO_REPLY = "success"
# Media the bot cannot read: the user is asked to type instead.
UNREADABLE_TYPES = frozenset({"image", "location", "link", "video", "shortvideo"})
XML_CONTENT_TYPE = "application/xml; charset=utf-8"


class WeChatCollector(PushCollector):
    """Collects a turn's messages for the passive reply."""

    channel = "wechat"


class WeChatOutput(PushOutput):
    """Sends bot messages through the customer-service API (split at 2048 bytes)."""

    channel = "wechat"


def _parse(body: bytes) -> dict[str, str]:
    try:
        return parse_message(body)
    except WeChatXMLError as exc:
        raise Refused(HTTPStatus.BAD_REQUEST, f"bad XML: {exc}") from None


class WeChatInput(PushInput):
    """WeChat OA input channel.

    Args:
        token: the Token of the server configuration (signatures).
        appid: the AppId (customer-service API; checked on decrypted messages).
        appsecret: the AppSecret (customer-service API).
        aes_key: the EncodingAESKey; None for plain mode only.
        api_base: base URL of the WeChat API.
        reply_timeout: seconds to wait for the bot before answering ``success``.
        max_body_bytes: larger bodies are refused with 413.
        max_clock_skew: seconds a request timestamp may be off.
        dedupe_ttl: seconds a message id is remembered.
        api_timeout: seconds for each API call.
        texts: fixed texts (from the replies) and menu keys (``menu.yml`` by default).
        clock: wall clock in seconds (tests pin it to the vectors' timestamps).
        state: what replicas share (``state_from_settings``; memory by default).
        push: False for passive-only accounts (``WECHAT_PUSH=off``): late replies wait
            for the customer's next message instead of the customer-service API.
    """

    no_reply = NO_REPLY
    collector = WeChatCollector

    @classmethod
    def name(cls) -> str:
        """URL prefix ``/webhooks/wechat/`` and input channel name."""
        return "wechat"

    def __init__(
        self,
        token: str,
        appid: str,
        appsecret: str,
        aes_key: str | None = None,
        api_base: str = DEFAULT_WECHAT_API_BASE,
        reply_timeout: float = DEFAULT_REPLY_TIMEOUT,
        *,
        max_body_bytes: int = MAX_BODY_BYTES,
        max_clock_skew: float = MAX_CLOCK_SKEW,
        dedupe_ttl: float = DEDUPE_TTL,
        api_timeout: float = API_TIMEOUT,
        texts: ChannelTexts | None = None,
        clock: Callable[[], float] = time.time,
        state: ChannelState | None = None,
        push: bool = True,
    ) -> None:
        """Configure the channel; see the class for the arguments."""
        if not (token and appid and appsecret):
            raise ChannelConfigError("WeChat needs token, appid and appsecret")
        if reply_timeout >= 5:
            logger.warning(
                "wechat: reply_timeout %.1f s is not below WeChat's 5 s limit",
                reply_timeout,
            )
        self.token = token
        self.appid = appid
        try:
            self.crypto = WeChatCrypto(token, aes_key, appid) if aes_key else None
        except ValueError as exc:
            raise ChannelConfigError(f"WECHAT_AES_KEY is invalid: {exc}") from None
        self.max_body_bytes = max_body_bytes
        self.max_clock_skew = max_clock_skew
        self.texts = texts or load_texts()
        self._clock = clock
        self.push_enabled = push
        self._share(state, reply_timeout, dedupe_ttl)
        self.api = WeChatAPIClient(
            appid, appsecret, api_base, timeout=api_timeout, state=self.state
        )

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Build from the ``credentials.yml`` entry (values from the environment)."""
        if not credentials:
            cls.raise_missing_credentials_exception()
        creds = checked_credentials("wechat", credentials)
        return cls(
            token=str(creds["token"]),
            appid=str(creds["appid"]),
            appsecret=str(creds["appsecret"]),
            aes_key=creds.get("aes_key"),
            api_base=creds.get("api_base") or DEFAULT_WECHAT_API_BASE,
            reply_timeout=float_setting(
                creds.get("reply_timeout"), DEFAULT_REPLY_TIMEOUT, "wechat reply_timeout"
            ),
            state=state_from_settings(creds),
            push=switch_setting(creds.get("push"), default=True, what="WECHAT_PUSH"),
        )

    def get_output_channel(self) -> OutputChannel:
        """Proactive messages go through the customer-service API."""
        return WeChatOutput(self.api)

    def _check_request(self, request: Request) -> None:
        """Refuse (403) unless the timestamp is recent and the plain signature right."""
        args = request.args
        timestamp = args.get("timestamp")
        if not timestamp_is_fresh(timestamp, self.max_clock_skew, self._clock):
            raise Refused(HTTPStatus.FORBIDDEN, "stale or missing timestamp")
        if not check_signature(self.token, args.get("signature"), timestamp, args.get("nonce")):
            raise Refused(HTTPStatus.FORBIDDEN, "bad signature")

    async def _receive(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        if body_too_large(request, self.max_body_bytes):
            raise Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
        self._check_request(request)
        fields = _parse(request.body)
        timestamp = str(request.args.get("timestamp"))
        nonce = str(request.args.get("nonce"))
        encrypted = (request.args.get("encrypt_type") or "").lower() == "aes"
        if encrypted:
            fields = self._decrypt(fields, request.args.get("msg_signature"), timestamp, nonce)
        openid, account = fields.get("FromUserName"), fields.get("ToUserName")
        if not openid or not account or not fields.get("MsgType"):
            raise Refused(HTTPStatus.BAD_REQUEST, "incomplete message")

        reply = await self._handle(fields, openid, on_new_message)
        if reply is None:
            return response.text(NO_REPLY)
        xml = build_text_reply(openid, account, reply, int(self._clock()))
        if encrypted and self.crypto is not None:
            xml = self.crypto.encrypt_reply(xml, nonce=nonce, timestamp=timestamp)
        return response.text(xml, content_type=XML_CONTENT_TYPE)

    def _decrypt(
        self,
        fields: dict[str, str],
        msg_signature: str | None,
        timestamp: str,
        nonce: str,
    ) -> dict[str, str]:
        """The fields of an encrypted push, after checking its ``msg_signature``."""
        if self.crypto is None:
            logger.error("wechat: encrypted push but WECHAT_AES_KEY is not set")
            raise Refused(HTTPStatus.BAD_REQUEST, "encryption not configured")
        encrypt = fields.get("Encrypt")
        if not encrypt:
            raise Refused(HTTPStatus.BAD_REQUEST, "missing Encrypt")
        if not self.crypto.check_msg_signature(msg_signature, timestamp, nonce, encrypt):
            raise Refused(HTTPStatus.FORBIDDEN, "bad msg_signature")
        try:
            plain = self.crypto.decrypt(encrypt)
        except InvalidAppIdError:
            raise Refused(HTTPStatus.FORBIDDEN, "encrypted for another AppId") from None
        except WeChatCryptoError as exc:
            raise Refused(HTTPStatus.BAD_REQUEST, f"bad Encrypt: {exc}") from None
        return _parse(plain.encode("utf-8"))

    # -- messages ---------------------------------------------------------------
    def _react(self, fields: dict[str, str]) -> Reaction | None:
        """The bot text or fixed answer for a push; None for "no reply"."""
        msg_type = fields.get("MsgType", "").lower()
        if msg_type == "text":
            content = user_text(fields.get("Content", ""))
            if content:
                return Reaction(content, ask_bot=True)
            return Reaction(self.texts.please_type, ask_bot=False)
        if msg_type == "voice":
            # speech recognition is being retired and often comes back empty
            recognition = user_text(fields.get("Recognition", ""))
            if recognition:
                return Reaction(recognition, ask_bot=True)
            return Reaction(self.texts.voice_unrecognised, ask_bot=False)
        if msg_type in UNREADABLE_TYPES:
            return Reaction(self.texts.please_type, ask_bot=False)
        if msg_type == "event":
            event = fields.get("Event", "").lower()
            if event == "subscribe":
                return Reaction(self.texts.welcome_text(), ask_bot=False)
            if event == "click":
                menu_text = self.texts.menu_message(fields.get("EventKey"))
                if menu_text:
                    return Reaction(menu_text, ask_bot=True)
        return None

    @staticmethod
    def _dedupe_key(fields: dict[str, str], openid: str) -> str:
        msg_id = fields.get("MsgId")
        if msg_id:
            return f"msg:{msg_id}"
        # events have no MsgId; hashed so that log lines carry no OpenID
        source = f"{openid}:{fields.get('CreateTime', '')}:{fields.get('Event', '')}"
        return "evt:" + hashlib.sha256(source.encode("utf-8")).hexdigest()[:20]

    async def _handle(
        self, fields: dict[str, str], openid: str, on_new_message: OnNewMessage
    ) -> str | None:
        msg_type = fields.get("MsgType", "").lower()
        key = self._dedupe_key(fields, openid)
        reaction = self._react(fields)
        logger.info(
            "wechat: %s push %s from %s%s",
            msg_type,
            key,
            mask_id(openid),
            "" if reaction else " (no reply)",
        )
        if reaction is None:
            return None
        metadata = {
            name: fields.get(field)
            for name, field in (
                ("msg_id", "MsgId"),
                ("create_time", "CreateTime"),
                ("msg_type", "MsgType"),
                ("event_key", "EventKey"),
            )
        }
        return await self._answer(
            key, openid, reaction, on_new_message, metadata, fields.get("MsgId")
        )

    def _split(self, text: str) -> list[str]:
        return split_utf8(text)
