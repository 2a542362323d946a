"""Client for the WeChat OA customer-service message API (客服消息), over aiohttp.

Used when a reply misses the 5 s passive window or is too long for one passive
message. The access_token is cached and shared by every replica (in the channel
state, Redis in the production profile): WeChat invalidates the previous token
(after a short overlap) on every fetch and limits fetches per day, so one caller
fetches it, under a shared lock, for all senders on all servers; it is refreshed
before it expires and once when the API says it is invalid (40001 / 40014 /
42001) -- the classic stampede of per-process tokens (silenceper/wechat#516).

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
from bot.channels.api_client import Delivery, PlatformAPIClient
from bot.channels.config import API_TIMEOUT, DEFAULT_WECHAT_API_BASE
from bot.channels.messages import split_text, utf8_size
from bot.channels.state import ChannelState, MemoryState, Owner

logger = logging.getLogger(__name__)

# WeChat cuts or drops text over 2048 bytes (passive replies; assumed for the API).
TEXT_LIMIT_BYTES = 2048
# errcodes meaning "the access_token is invalid or expired": refresh and retry once
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
# errcodes meaning "not now, not this way": 45015 the 48-hour window is closed,
# 45047 / 45009 quota or frequency limit, 48001 no customer-service permission,
# 43004 the customer unfollowed; retrying cannot help
REFUSALS = frozenset({43004, 45009, 45015, 45047, 48001})
# refresh this long before the announced expiry (WeChat overlaps old tokens 5 min)
TOKEN_REFRESH_MARGIN = 300.0
_DEFAULT_EXPIRES_IN = 7200
# How often a caller looks whether another replica's refresh has finished.
TOKEN_POLL_INTERVAL = 0.05


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
        clock: wall clock in seconds, the same on every replica (tests move it).
        state: where the token and its refresh lock live (Redis for N replicas).
    """

    def __init__(
        self,
        appid: str,
        secret: str,
        api_base: str = DEFAULT_WECHAT_API_BASE,
        timeout: float = API_TIMEOUT,
        clock: Callable[[], float] = time.time,
        state: ChannelState | None = None,
    ) -> None:
        """Send for the account ``appid`` (with its ``secret``) to ``api_base``."""
        super().__init__(api_base, timeout)
        self.appid = appid
        self._secret = secret
        self._clock = clock
        self._state = state or MemoryState()
        self._token_key = f"wechat:token:{appid}"
        self._lock_key = f"wechat:token-lock:{appid}"
        # a refresh is one HTTP call: the lock outlives it, then frees itself
        self._lock_ttl = timeout + 1
        self._owner = Owner()
        self._lock = asyncio.Lock()

    def _on_new_loop(self) -> None:
        self._lock = asyncio.Lock()

    # -- access_token ------------------------------------------------------------
    async def access_token(self, stale: str | None = None) -> str:
        """A valid access_token, fetched by one caller for every replica.

        The token and its expiry live in the channel state; a process that finds it
        missing, expiring or equal to ``stale`` refreshes it under a shared lock, and
        everyone else (in this process or on another replica) waits for that one
        fetch instead of invalidating it with their own.

        Args:
            stale: a token the API just rejected; it is replaced unless another
                caller has already replaced it.

        Raises:
            WeChatAPIError, aiohttp.ClientError, asyncio.TimeoutError, ValueError,
                TypeError.
        """
        session = self._http()
        # one caller per process at a time: the others find the fresh token
        async with self._lock:
            deadline = time.monotonic() + self._lock_ttl
            while True:
                token = await self._stored_token(stale)
                if token is not None:
                    return token
                if await self._state.claim(self._lock_key, str(self._owner), self._lock_ttl):
                    try:
                        return await self._stored_token(stale) or await self._fetch(session)
                    finally:
                        await self._state.release(self._lock_key, str(self._owner))
                if time.monotonic() >= deadline:
                    raise WeChatAPIError(-1, "no access_token: another replica's refresh hangs")
                # polled, not an Event: the refresh runs on another replica
                await asyncio.sleep(TOKEN_POLL_INTERVAL)

    async def _stored_token(self, stale: str | None) -> str | None:
        """The shared token unless missing, expiring or ``stale``."""
        raw = await self._state.get(self._token_key)
        if raw is None:
            return None
        try:
            entry = json.loads(raw)
            token, expires_at = str(entry["token"]), float(entry["expires_at"])
        except (ValueError, TypeError, KeyError):
            return None
        if token == stale or self._clock() >= expires_at:
            return None
        return token

    async def _fetch(self, session: aiohttp.ClientSession) -> str:
        params = {"grant_type": "client_credential", "appid": self.appid, "secret": self._secret}
        async with session.get(f"{self.api_base}/cgi-bin/token", params=params) as response:
            data = await self._json(response)
        token = data.get("access_token")
        if not token:
            raise WeChatAPIError(int(data.get("errcode", -1)), str(data.get("errmsg", "")))
        expires_in = float(data.get("expires_in") or _DEFAULT_EXPIRES_IN)
        # never cache for less than half the lifetime, even for short-lived tokens
        margin = min(TOKEN_REFRESH_MARGIN, expires_in / 2)
        entry = {"token": str(token), "expires_at": self._clock() + expires_in - margin}
        await self._state.put(self._token_key, json.dumps(entry), expires_in)
        logger.info("wechat api: fetched a new access_token")
        return str(token)

    # -- messages -----------------------------------------------------------------
    def _split(self, text: str) -> list[str]:
        return split_utf8(text)

    async def _send_part(self, openid: str, content: str) -> Delivery:
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
                    return Delivery.SENT
                if errcode in TOKEN_ERRORS and attempt == 1:
                    logger.info("wechat api: access_token rejected (%s); refreshing", errcode)
                    stale = token
                    continue
                raise WeChatAPIError(errcode, str(result.get("errmsg", "")))
        except WeChatAPIError as exc:
            if exc.errcode in REFUSALS:
                logger.warning(
                    "wechat api: refused a message to %s: errcode %s (%s); kept pending",
                    mask_id(openid),
                    exc.errcode,
                    exc.errmsg,
                )
                return Delivery.REFUSED
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
        return Delivery.FAILED
