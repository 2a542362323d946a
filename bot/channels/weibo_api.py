"""Client for the Weibo fan-service reply API (``/2/messages/reply.json``), over aiohttp.

Used when a reply misses the 5 s passive window or is too long for one passive
message (Weibo texts stay under 300 characters). The fan-service access_token is
long-lived (about a year) and configured, so there is nothing to refresh.

Nothing here raises to the caller: failures are logged (with a masked user id,
never the token or message) and reported as ``False``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from http import HTTPStatus

import aiohttp

from bot.channels import mask_id
from bot.channels.api_client import Delivery, PlatformAPIClient
from bot.channels.config import API_TIMEOUT, DEFAULT_WEIBO_API_BASE
from bot.channels.messages import split_text

logger = logging.getLogger(__name__)

# Weibo text messages must stay under 300 characters.
TEXT_LIMIT_CHARS = 299


def split_weibo(text: str) -> list[str]:
    """``text`` in parts Weibo accepts (under 300 characters each)."""
    return split_text(text, TEXT_LIMIT_CHARS)


class WeiboAPIError(Exception):
    """The API refused a message (a non-200 status or an ``error_code``)."""

    def __init__(self, status: int, error_code: object, error: object) -> None:
        """Keep the HTTP ``status`` and Weibo's ``error_code`` / ``error`` text."""
        super().__init__(f"HTTP {status}, error_code {error_code}: {error}")
        self.status = status
        self.error_code = error_code
        self.error = error


class WeiboAPIClient(PlatformAPIClient):
    """Sends fan-service text messages for one account.

    Args:
        access_token: the fan-service access_token (valid about a year).
        api_base: ``https://m.api.weibo.com`` (tests use a local fake).
        timeout: total seconds for each HTTP call.
    """

    def __init__(
        self,
        access_token: str,
        api_base: str = DEFAULT_WEIBO_API_BASE,
        timeout: float = API_TIMEOUT,
    ) -> None:
        """Send with ``access_token`` to ``api_base``."""
        super().__init__(api_base, timeout)
        self._access_token = access_token

    def _split(self, text: str) -> list[str]:
        return split_weibo(text)

    async def _send_part(self, receiver_id: str, text: str) -> Delivery:
        form = {
            "access_token": self._access_token,
            "type": "text",
            # form encoding percent-encodes the JSON once, as in the wiki's curl example
            "data": json.dumps({"text": text}, ensure_ascii=False, separators=(",", ":")),
            "receiver_id": str(receiver_id),
            "save_sender_box": "0",
        }
        try:
            async with self._http().post(
                f"{self.api_base}/2/messages/reply.json", data=form
            ) as response:
                status = response.status
                result = await self._json(response)
            if status != HTTPStatus.OK or "error_code" in result:
                raise WeiboAPIError(status, result.get("error_code"), result.get("error"))
            return Delivery.SENT
        except WeiboAPIError as exc:
            if HTTPStatus.BAD_REQUEST <= exc.status < HTTPStatus.INTERNAL_SERVER_ERROR:
                # a client error (expired token, no permission, limit): not worth retrying
                logger.warning(
                    "weibo api: refused a message to %s: HTTP %s, error_code %s (%s); kept pending",
                    mask_id(receiver_id),
                    exc.status,
                    exc.error_code,
                    exc.error,
                )
                return Delivery.REFUSED
            logger.error(
                "weibo api: sending to %s failed: HTTP %s, error_code %s (%s)",
                mask_id(receiver_id),
                exc.status,
                exc.error_code,
                exc.error,
            )
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, TypeError) as exc:
            # type only: aiohttp messages may carry the URL
            logger.error(
                "weibo api: sending to %s failed: %s", mask_id(receiver_id), type(exc).__name__
            )
        return Delivery.FAILED
