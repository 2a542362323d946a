"""Client for the WeChat OA customer-service message API (客服消息), over aiohttp.

Used when a reply misses the 5 s passive window or is too long for one passive
message. The access_token is cached and shared: WeChat invalidates the previous
token (after a short overlap) on every fetch and limits fetches per day, so the
client fetches it once for all concurrent senders, refreshes it before it expires
and again when the API says it is invalid (40001 / 40014 / 42001), like wechatpy.

Nothing here raises to the caller: failures are logged (with a masked OpenID,
never the token, secret or message) and reported as ``False``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable

import aiohttp

from bot.channels import mask_id
from bot.channels.api_client import PlatformAPIClient
from bot.channels.config import API_TIMEOUT, DEFAULT_WECHAT_API_BASE
from bot.channels.messages import split_text, utf8_size

logger = logging.getLogger(__name__)

# WeChat cuts or drops text over 2048 bytes (passive replies; assumed for the API).
TEXT_LIMIT_BYTES = 2048
# errcodes meaning "the access_token is invalid or expired": refresh and retry once
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
# refresh this long before the announced expiry (WeChat overlaps old tokens 5 min)
TOKEN_REFRESH_MARGIN = 300.0
_DEFAULT_EXPIRES_IN = 7200


def split_utf8(text: str, limit: int = TEXT_LIMIT_BYTES) -> list[str]:
    """``text`` in parts of at most ``limit`` UTF-8 bytes, never splitting a character."""
    return split_text(text, limit, utf8_size)


class WeChatAPIError(Exception):
    """The API answered with a non-zero ``errcode``."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        """Keep WeChat's ``errcode`` and ``errmsg``."""
        super().__init__(f"errcode {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class WeChatAPIClient(PlatformAPIClient):
    """Sends customer-service text messages for one OA account.

    Args:
        appid: the account's AppId.
        secret: its AppSecret.
        api_base: ``https://api.weixin.qq.com`` (tests use a local fake).
        timeout: total seconds for each HTTP call.
        clock: monotonic clock (tests move it to expire the token).
    """

    def __init__(
        self,
        appid: str,
        secret: str,
        api_base: str = DEFAULT_WECHAT_API_BASE,
        timeout: float = API_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Send for the account ``appid`` (with its ``secret``) to ``api_base``."""
        super().__init__(api_base, timeout)
        self.appid = appid
        self._secret = secret
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    def _on_new_loop(self) -> None:
        self._lock = asyncio.Lock()

    # -- access_token ------------------------------------------------------------
    async def access_token(self, stale: str | None = None) -> str:
        """A valid access_token, fetched at most once for all concurrent callers.

        Args:
            stale: a token the API just rejected; it is replaced unless another
                caller has already replaced it.

        Raises:
            WeChatAPIError, aiohttp.ClientError, asyncio.TimeoutError, ValueError,
                TypeError.
        """
        session = self._http()
        async with self._lock:
            if (
                self._token is not None
                and self._token != stale
                and self._clock() < self._expires_at
            ):
                return self._token
            params = {
                "grant_type": "client_credential",
                "appid": self.appid,
                "secret": self._secret,
            }
            async with session.get(f"{self.api_base}/cgi-bin/token", params=params) as response:
                data = await self._json(response)
            token = data.get("access_token")
            if not token:
                raise WeChatAPIError(int(data.get("errcode", -1)), str(data.get("errmsg", "")))
            expires_in = float(data.get("expires_in") or _DEFAULT_EXPIRES_IN)
            # never cache for less than half the lifetime, even for short-lived tokens
            margin = min(TOKEN_REFRESH_MARGIN, expires_in / 2)
            self._token = str(token)
            self._expires_at = self._clock() + expires_in - margin
            logger.info("wechat api: fetched a new access_token")
            return self._token

    # -- messages -----------------------------------------------------------------
    def _split(self, text: str) -> list[str]:
        return split_utf8(text)

    async def _send_part(self, openid: str, content: str) -> bool:
        body = json.dumps(
            {"touser": openid, "msgtype": "text", "text": {"content": content}},
            ensure_ascii=False,
        ).encode("utf-8")
        stale: str | None = None
        try:
            for attempt in (1, 2):
                token = await self.access_token(stale=stale)
                async with self._http().post(
                    f"{self.api_base}/cgi-bin/message/custom/send",
                    params={"access_token": token},
                    data=body,
                    headers={"Content-Type": "application/json; charset=utf-8"},
                ) as response:
                    result = await self._json(response)
                errcode = int(result.get("errcode", 0) or 0)
                if errcode == 0:
                    return True
                if errcode in TOKEN_ERRORS and attempt == 1:
                    logger.info("wechat api: access_token rejected (%s); refreshing", errcode)
                    stale = token
                    continue
                raise WeChatAPIError(errcode, str(result.get("errmsg", "")))
        except WeChatAPIError as exc:
            logger.error(
                "wechat api: sending to %s failed: errcode %s (%s)",
                mask_id(openid),
                exc.errcode,
                exc.errmsg,
            )
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, TypeError) as exc:
            # type only: aiohttp messages may contain the URL with the token
            logger.error(
                "wechat api: sending to %s failed: %s",
                mask_id(openid),
                type(exc).__name__,
            )
        return False
