"""How staff words reach a customer, and how the bot is un-muted: HTTP, with timeouts.

* WeChat: the customer-service message API; Weibo: the fan-service reply API.
  When the API refuses or is unreachable the message is stored ``pending`` and goes
  out with the bot's next passive reply (the Rasa plug-in picks it up).
* Signed webhook: POSTed to ``WEBHOOK_CALLBACK_URL``, signed like the notifications.
* REST (and any other channel): ``pending``, returned with the customer's next message.
* The bot resumes through Rasa's HTTP API (``rasa run --enable-api``).
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.channels import mask_id
from bot.desk.config import DeskSettings
from bot.notifier import sign

log = logging.getLogger(__name__)

HTTP_TIMEOUT_S = 10.0
SIGNATURE_HEADER = "X-PPA-Signature"
# The bot back, listening: the turn after it then follows action_listen, as every turn
# the rules were written for (it followed action_handoff, and "继续报修" after an
# agent's close was not understood).
RESUME_EVENTS = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]


class HttpCustomerLink:
    """The production :class:`bot.services.handoff.CustomerLink`."""

    def __init__(self, settings: DeskSettings) -> None:
        """Use the channel credentials and Rasa URL in ``settings``."""
        self._settings = settings
        self._timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT_S)
        self._wechat: Any = None
        self._weibo: Any = None

    async def send(self, channel: str, conversation_id: str, text: str) -> str:
        """Deliver ``text``: ``sent``, ``pending`` (goes with the next turn) or ``failed``."""
        s = self._settings
        if channel == "wechat" and s.wechat_appid:
            ok = await self._wechat_client().send_texts(conversation_id, [text])
            return "sent" if ok else "pending"
        if channel == "weibo" and s.weibo_access_token:
            ok = await self._weibo_client().send_texts(conversation_id, [text])
            return "sent" if ok else "pending"
        if channel == "signed_webhook" and s.webhook_callback_url:
            return await self._post_signed(conversation_id, text)
        return "pending"

    async def resume(self, conversation_id: str) -> bool:
        """Append ``ConversationResumed`` to the tracker through Rasa's HTTP API."""
        url = f"{self._settings.rasa_url}/conversations/{quote(conversation_id, safe='')}"
        params = {"include_events": "NONE"}
        if self._settings.rasa_token:
            params["token"] = self._settings.rasa_token
        try:
            async with (
                aiohttp.ClientSession(timeout=self._timeout) as http,
                http.post(url + "/tracker/events", params=params, json=RESUME_EVENTS) as response,
            ):
                if response.status < 300:
                    return True
                log.warning(
                    "Rasa refused resume for %s: HTTP %s", mask_id(conversation_id), response.status
                )
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("Rasa unreachable to resume %s: %s", mask_id(conversation_id), error)
        # The plug-in un-mutes a paused conversation without an open handoff at its next turn.
        return False

    async def close(self) -> None:
        """Close the channel API clients."""
        for client in (self._wechat, self._weibo):
            if client is not None:
                await client.close()

    async def _post_signed(self, conversation_id: str, text: str) -> str:
        s = self._settings
        body = json.dumps(
            {"recipient_id": conversation_id, "text": text, "from": "agent"}, ensure_ascii=False
        ).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(s.webhook_secret, body),
        }
        try:
            async with (
                aiohttp.ClientSession(timeout=self._timeout) as http,
                http.post(s.webhook_callback_url, data=body, headers=headers) as response,
            ):
                return "sent" if response.status < 300 else "failed"
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("webhook callback failed for %s: %s", mask_id(conversation_id), error)
            return "failed"

    def _wechat_client(self) -> Any:
        if self._wechat is None:
            from bot.channels.config import DEFAULT_WECHAT_API_BASE
            from bot.channels.wechat_api import WeChatAPIClient

            s = self._settings
            self._wechat = WeChatAPIClient(
                s.wechat_appid, s.wechat_secret, s.wechat_api_base or DEFAULT_WECHAT_API_BASE
            )
        return self._wechat

    def _weibo_client(self) -> Any:
        if self._weibo is None:
            # Imported late: the Weibo module brings Rasa's channel classes with it.
            from bot.channels.config import DEFAULT_WEIBO_API_BASE
            from bot.channels.weibo import WeiboAPIClient

            s = self._settings
            self._weibo = WeiboAPIClient(
                s.weibo_access_token, s.weibo_api_base or DEFAULT_WEIBO_API_BASE
            )
        return self._weibo
