"""The routes WeChat and Weibo share: health, URL verification, message push.

Both platforms verify a URL with a signed GET that must echo ``echostr``, push
messages by POST, and give up on an answer after 5 s. Subclasses supply the request
check and the push handling; this class turns refusals into their status codes and
anything unexpected into the platform's "received, no reply" answer.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import Refused, refusal
from bot.channels.dedupe import ReplyCoordinator

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class PushInput(InputChannel, abc.ABC):
    """Base for push-style connectors; subclasses set ``coordinator`` and ``api``."""

    coordinator: ReplyCoordinator
    api: Any
    # The body the platform takes as "received, no reply, do not retry".
    no_reply = "success"

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

        return webhook
