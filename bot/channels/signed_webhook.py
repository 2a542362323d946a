"""Rasa's REST channel behind an HMAC signature (``bot.channels.signed_webhook.SignedWebhookInput``).

Same request and response as ``rest`` (``POST /webhooks/signed_webhook/webhook`` with
``{"sender", "message", "metadata"?}`` -> JSON list of bot messages, ``?stream=true``
included), but every POST must carry, like Slack's signed requests::

    X-PPA-Timestamp: <unix seconds>
    X-PPA-Delivery:  <an id unique to this request, at most 128 characters>
    X-PPA-Signature: sha256=<hex HMAC-SHA256, key WEBHOOK_SECRET, of
                     "v1:<timestamp>:<delivery>:" followed by the raw body>

A timestamp more than 5 minutes off is refused, and so is a delivery id seen in the
last 10 minutes (remembered in the channel state, so in Redis across replicas): a
captured request cannot be replayed. Typed text goes through the same "/intent"
guard as WeChat / Weibo unless the caller is configured as trusted
(``WEBHOOK_TRUSTED=on``). The check runs as a blueprint request middleware in front of
Rasa's own routes, so the collecting and streaming logic stays Rasa's. Refusals are
JSON ``{"error": ...}``: 413 body too large, 401 missing, stale, replayed or bad
signature, 400 bad JSON or no message.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import Refused, body_too_large, timestamp_is_fresh
from bot.channels.config import (
    MAX_BODY_BYTES,
    MAX_CLOCK_SKEW,
    ChannelConfigError,
    checked_credentials,
    switch_setting,
)
from bot.channels.messages import user_text
from bot.channels.state import ChannelState, MemoryState, state_from_settings

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-PPA-Signature"
TIMESTAMP_HEADER = "X-PPA-Timestamp"
DELIVERY_HEADER = "X-PPA-Delivery"
SIGNATURE_PREFIX = "sha256="
SIGNATURE_VERSION = "v1"
MAX_DELIVERY_ID = 128
# shorter secrets are accepted but easier to guess
MIN_SECRET_LENGTH = 16


def _signed_base(timestamp: str, delivery: str, body: bytes) -> bytes:
    return f"{SIGNATURE_VERSION}:{timestamp}:{delivery}:".encode() + body


def sign(secret: str, body: bytes, timestamp: str, delivery: str) -> str:
    """The ``X-PPA-Signature`` value for ``body`` sent at ``timestamp`` as ``delivery``."""
    base = _signed_base(timestamp, delivery, body)
    return SIGNATURE_PREFIX + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str, body: bytes, timestamp: str | None = None, delivery: str | None = None
) -> dict[str, str]:
    """The three headers a caller sends with ``body`` (now and a fresh id by default)."""
    timestamp = timestamp or str(int(time.time()))
    delivery = delivery or uuid.uuid4().hex
    return {
        TIMESTAMP_HEADER: timestamp,
        DELIVERY_HEADER: delivery,
        SIGNATURE_HEADER: sign(secret, body, timestamp, delivery),
    }


def signature_is_valid(
    secret: str, body: bytes, header: str | None, timestamp: str, delivery: str
) -> bool:
    """Constant-time check of an ``X-PPA-Signature`` header."""
    if not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    expected = sign(secret, body, timestamp, delivery).encode("ascii")
    # header values are str; non-ASCII cannot be a hex digest
    return hmac.compare_digest(expected, header.strip().lower().encode("utf-8"))


class SignedWebhookInput(RestInput):
    """The ``rest`` channel with a mandatory HMAC-SHA256 body signature.

    Args:
        secret: the shared secret (``WEBHOOK_SECRET``).
        max_body_bytes: larger bodies are refused with 413.
        state: where delivery ids are remembered (Redis across replicas).
        trusted: the caller may send "/intent" messages (``WEBHOOK_TRUSTED``).
        max_clock_skew: seconds a request timestamp may be off.
        clock: wall clock in seconds.
    """

    @classmethod
    def name(cls) -> str:
        """URL prefix ``/webhooks/signed_webhook/`` and input channel name."""
        return "signed_webhook"

    def __init__(
        self,
        secret: str,
        max_body_bytes: int = MAX_BODY_BYTES,
        *,
        state: ChannelState | None = None,
        trusted: bool = False,
        max_clock_skew: float = MAX_CLOCK_SKEW,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Check every POST against ``secret``; see the class for the arguments."""
        if not secret:
            raise ChannelConfigError("the signed webhook needs a secret (WEBHOOK_SECRET)")
        if len(secret) < MIN_SECRET_LENGTH:
            logger.warning(
                "signed_webhook: WEBHOOK_SECRET is shorter than %d characters", MIN_SECRET_LENGTH
            )
        self._secret = secret
        self.max_body_bytes = max_body_bytes
        self.state = state or MemoryState()
        self.trusted = trusted
        self.max_clock_skew = max_clock_skew
        self._clock = clock

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Build from the ``credentials.yml`` entry (values from the environment)."""
        if not credentials:
            cls.raise_missing_credentials_exception()
        creds = checked_credentials("signed_webhook", credentials)
        return cls(
            secret=str(creds["secret"]),
            state=state_from_settings(creds),
            trusted=switch_setting(creds.get("trusted"), default=False, what="WEBHOOK_TRUSTED"),
        )

    async def _check(self, request: Request) -> None:
        """Refuse unless small, freshly signed with our secret, new, and a valid message."""
        if body_too_large(request, self.max_body_bytes):
            raise Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
        header = request.headers.get(SIGNATURE_HEADER)
        if not header:
            raise Refused(HTTPStatus.UNAUTHORIZED, f"missing {SIGNATURE_HEADER} header")
        timestamp = request.headers.get(TIMESTAMP_HEADER) or ""
        delivery = request.headers.get(DELIVERY_HEADER) or ""
        if not delivery or len(delivery) > MAX_DELIVERY_ID or not delivery.isascii():
            raise Refused(HTTPStatus.UNAUTHORIZED, f"missing or bad {DELIVERY_HEADER} header")
        if not timestamp_is_fresh(timestamp, self.max_clock_skew, self._clock):
            raise Refused(HTTPStatus.UNAUTHORIZED, "stale or missing timestamp")
        if not signature_is_valid(self._secret, request.body or b"", header, timestamp, delivery):
            raise Refused(HTTPStatus.UNAUTHORIZED, "bad signature")
        # only a validly signed id is remembered: nobody else can use up ids
        seen = f"{self.name()}:delivery:{delivery}"
        if not await self.state.claim(seen, timestamp, 2 * self.max_clock_skew):
            raise Refused(HTTPStatus.UNAUTHORIZED, "replayed request")
        try:
            # Sanic caches the parsed body: Rasa's handler reads this same object
            payload = request.json
        except InvalidUsage:
            raise Refused(HTTPStatus.BAD_REQUEST, "body is not valid JSON") from None
        if not isinstance(payload, dict):
            raise Refused(HTTPStatus.BAD_REQUEST, "body must be a JSON object")
        message, sender = payload.get("message"), payload.get("sender")
        if not isinstance(message, str) or not message.strip():
            raise Refused(HTTPStatus.BAD_REQUEST, "missing message")
        # without a sender Rasa would use "default", one conversation for everybody
        if not isinstance(sender, str) or not sender.strip():
            raise Refused(HTTPStatus.BAD_REQUEST, "missing sender")
        if payload.get("metadata") is not None and not isinstance(payload["metadata"], dict):
            raise Refused(HTTPStatus.BAD_REQUEST, "metadata must be an object")
        if not self.trusted:
            # Rasa's handler reads this same parsed object: the guard applies to it
            payload["message"] = user_text(message)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's REST routes, with every POST checked first."""
        webhook = super().blueprint(on_new_message)

        @webhook.middleware("request")
        async def require_signature(request: Request) -> HTTPResponse | None:
            if request.method != "POST":
                return None  # the health check stays open
            try:
                await self._check(request)
            except Refused as exc:
                logger.warning("signed_webhook: refused a request (%d): %s", exc.status, exc.reason)
                return response.json({"error": exc.reason}, status=exc.status)
            return None

        @webhook.listener("after_server_stop")
        async def close(*_: Any) -> None:
            await self.state.close()

        return webhook
