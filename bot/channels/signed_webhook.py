"""Rasa's REST channel behind an HMAC signature (``bot.channels.signed_webhook.SignedWebhookInput``).

Same request and response as ``rest`` (``POST /webhooks/signed_webhook/webhook`` with
``{"sender", "message", "metadata"?}`` -> JSON list of bot messages, ``?stream=true``
included), but every POST must carry::

    X-PPA-Signature: sha256=<hex HMAC-SHA256 of the raw body, key WEBHOOK_SECRET>

The check runs as a blueprint request middleware in front of Rasa's own routes, so
the collecting and streaming logic stays Rasa's. Refusals are JSON
``{"error": ...}``: 413 body too large, 401 missing or bad signature, 400 bad JSON
or no message. The signature covers the body only: a captured request can be
replayed, so use it over TLS between trusted systems.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import Refused, body_too_large
from bot.channels.config import MAX_BODY_BYTES, ChannelConfigError, checked_credentials

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-PPA-Signature"
SIGNATURE_PREFIX = "sha256="
# shorter secrets are accepted but easier to guess
MIN_SECRET_LENGTH = 16


def sign(secret: str, body: bytes) -> str:
    """The ``X-PPA-Signature`` value for ``body`` (what callers must send)."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def signature_is_valid(secret: str, body: bytes, header: str | None) -> bool:
    """Constant-time check of an ``X-PPA-Signature`` header against ``body``."""
    if not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    expected = sign(secret, body).encode("ascii")
    # header values are str; non-ASCII cannot be a hex digest
    return hmac.compare_digest(expected, header.strip().lower().encode("utf-8"))


class SignedWebhookInput(RestInput):
    """The ``rest`` channel with a mandatory HMAC-SHA256 body signature.

    Args:
        secret: the shared secret (``WEBHOOK_SECRET``).
        max_body_bytes: larger bodies are refused with 413.
    """

    @classmethod
    def name(cls) -> str:
        """URL prefix ``/webhooks/signed_webhook/`` and input channel name."""
        return "signed_webhook"

    def __init__(self, secret: str, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        """Check every POST against ``secret``; see the class for the arguments."""
        if not secret:
            raise ChannelConfigError("the signed webhook needs a secret (WEBHOOK_SECRET)")
        if len(secret) < MIN_SECRET_LENGTH:
            logger.warning(
                "signed_webhook: WEBHOOK_SECRET is shorter than %d characters", MIN_SECRET_LENGTH
            )
        self._secret = secret
        self.max_body_bytes = max_body_bytes

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Build from the ``credentials.yml`` entry (values from the environment)."""
        if not credentials:
            cls.raise_missing_credentials_exception()
        creds = checked_credentials("signed_webhook", credentials)
        return cls(secret=str(creds["secret"]))

    def _check(self, request: Request) -> None:
        """Refuse unless the body is small, signed with our secret and a valid message."""
        if body_too_large(request, self.max_body_bytes):
            raise Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
        header = request.headers.get(SIGNATURE_HEADER)
        if not header:
            raise Refused(HTTPStatus.UNAUTHORIZED, f"missing {SIGNATURE_HEADER} header")
        if not signature_is_valid(self._secret, request.body or b"", header):
            raise Refused(HTTPStatus.UNAUTHORIZED, "bad signature")
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

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's REST routes, with every POST checked first."""
        webhook = super().blueprint(on_new_message)

        @webhook.middleware("request")
        async def require_signature(request: Request) -> HTTPResponse | None:
            if request.method != "POST":
                return None  # the health check stays open
            try:
                self._check(request)
            except Refused as exc:
                logger.warning("signed_webhook: refused a request (%d): %s", exc.status, exc.reason)
                return response.json({"error": exc.reason}, status=exc.status)
            return None

        return webhook
