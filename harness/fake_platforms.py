"""Fake WeChat / Weibo platforms: small aiohttp servers that record what channels send.

The channel tests, the e2e suite and the benchmark (its WeChat scenario) talk to these
instead of api.weixin.qq.com / api.weibo.com; ``FakeAPIs`` serves both from a thread
with its own event loop, for callers that are not async. Also the signed query and
the XML of a pushed WeChat message, as the platforms send them.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.channels.signature import sha1_signature
from bot.channels.wechat_crypto import WeChatCrypto
from bot.channels.wechat_xml import parse_message

# The body WeChat's side reads as "received, the reply comes later or not at all".
WECHAT_NO_REPLY = "success"


class FakeAPIServer:
    """An aiohttp server on 127.0.0.1 recording what the channels send."""

    def __init__(self) -> None:
        self.app = web.Application()
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Event()
        self.base_url = ""

    def _recorded(self) -> None:
        self._changed.set()

    async def _wait_until(self, done: Callable[[], bool], timeout: float) -> None:
        """Wait until ``done()`` (re-checked after each recorded call) or the timeout."""
        deadline = time.monotonic() + timeout
        while not done():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def start(self) -> str:
        """Start listening; returns the base URL."""
        self._runner = web.AppRunner(self.app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self.base_url

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()


class FakeWeChatAPI(FakeAPIServer):
    """Token endpoint and customer-service send endpoint of the WeChat API.

    ``send_errors`` lists errcodes the next sends answer with (e.g. ``[40001]``);
    ``token_delay`` keeps token fetches in flight long enough to overlap.
    """

    def __init__(self, expires_in: int = 7200, token_delay: float = 0.05) -> None:
        super().__init__()
        self.expires_in = expires_in
        self.token_delay = token_delay
        self.send_delay = 0.0
        self.token_requests: list[dict[str, str]] = []
        self.sends: list[dict[str, Any]] = []
        self.raw_bodies: list[bytes] = []
        self.send_errors: list[int] = []
        self.token_error: int | None = None
        self.app.router.add_get("/cgi-bin/token", self._token)
        self.app.router.add_post("/cgi-bin/message/custom/send", self._send)

    @property
    def token_fetches(self) -> int:
        """How many access_tokens were requested."""
        return len(self.token_requests)

    def delivered(self) -> list[dict[str, Any]]:
        """The sends that were accepted (errcode 0)."""
        return [s for s in self.sends if s["errcode"] == 0]

    async def _token(self, request: web.Request) -> web.Response:
        self.token_requests.append(dict(request.query))
        await asyncio.sleep(self.token_delay)
        if self.token_error is not None:
            return web.json_response({"errcode": self.token_error, "errmsg": "invalid appid"})
        number = len(self.token_requests)
        return web.json_response({"access_token": f"TOKEN{number}", "expires_in": self.expires_in})

    async def _send(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.raw_bodies.append(raw)
        if self.send_delay:
            await asyncio.sleep(self.send_delay)
        errcode = self.send_errors.pop(0) if self.send_errors else 0
        self.sends.append(
            {
                "access_token": request.query.get("access_token"),
                "body": await request.json(),
                "errcode": errcode,
            }
        )
        self._recorded()
        return web.json_response({"errcode": errcode, "errmsg": "ok" if not errcode else "err"})

    async def wait_for_deliveries(self, count: int, timeout: float = 3.0) -> list[dict[str, Any]]:
        """Wait until ``count`` sends were accepted; returns them."""
        await self._wait_until(lambda: len(self.delivered()) >= count, timeout)
        return self.delivered()


class FakeWeiboAPI(FakeAPIServer):
    """The fan-service reply endpoint (``/2/messages/reply.json``)."""

    def __init__(self) -> None:
        super().__init__()
        self.sends: list[dict[str, str]] = []
        # HTTP statuses the next replies answer with (e.g. [403]), with an error_code
        self.errors: list[int] = []
        self.refused: list[dict[str, str]] = []
        self.app.router.add_post("/2/messages/reply.json", self._reply)

    async def _reply(self, request: web.Request) -> web.Response:
        form = await request.post()
        if self.errors:
            status = self.errors.pop(0)
            self.refused.append({k: str(v) for k, v in form.items()})
            self._recorded()
            return web.json_response({"error_code": 21327, "error": "refused"}, status=status)
        self.sends.append({k: str(v) for k, v in form.items()})
        self._recorded()
        return web.json_response({"id": len(self.sends), "text": "ok"})

    async def wait_for_sends(self, count: int, timeout: float = 3.0) -> list[dict[str, str]]:
        """Wait until ``count`` replies arrived; returns them."""
        await self._wait_until(lambda: len(self.sends) >= count, timeout)
        return self.sends


class FakeAPIs:
    """The fake WeChat and Weibo APIs, served from a thread with its own event loop."""

    def __init__(self) -> None:
        self.wechat, self.weibo = FakeWeChatAPI(), FakeWeiboAPI()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        for api in (self.wechat, self.weibo):
            asyncio.run_coroutine_threadsafe(api.start(), self.loop).result(10)

    def stop(self) -> None:
        """Stop both servers and their thread."""
        for api in (self.wechat, self.weibo):
            asyncio.run_coroutine_threadsafe(api.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def signed_query(
    secret: str, timestamp: str | None = None, nonce: str = "271828", **extra: str
) -> dict[str, str]:
    """Query parameters signed the WeChat / Weibo way (sorted SHA-1)."""
    timestamp = timestamp or str(int(time.time()))
    return {
        "signature": sha1_signature(secret, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        **extra,
    }


def wechat_text(openid: str, content: str, msg_id: str, account: str = "gh_test") -> bytes:
    """A plain-mode WeChat text push."""
    return (
        f"<xml><ToUserName><![CDATA[{account}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content>"
        f"<MsgId>{msg_id}</MsgId></xml>"
    ).encode()


def wechat_request(
    token: str, crypto: WeChatCrypto | None, openid: str, content: str, msg_id: str
) -> tuple[dict[str, str], bytes]:
    """The signed query and body of a text push, plain or (with ``crypto``) safe mode.

    WeChat retries a push by sending the same query and body again.
    """
    inner = wechat_text(openid, content, msg_id)
    if crypto is None:
        return signed_query(token), inner
    encrypt = crypto.encrypt(inner)
    query = signed_query(token, encrypt_type="aes")
    query["msg_signature"] = sha1_signature(token, query["timestamp"], query["nonce"], encrypt)
    body = (
        "<xml><ToUserName><![CDATA[gh_test]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    )
    return query, body.encode()


def wechat_passive_text(body: str, crypto: WeChatCrypto | None) -> str | None:
    """The text of a passive answer to a push; None for ``success`` (no passive reply)."""
    if body == WECHAT_NO_REPLY:
        return None
    fields = parse_message(body.encode())
    if crypto is not None:
        fields = parse_message(crypto.decrypt(fields["Encrypt"]).encode())
    return fields["Content"]


def wechat_push(openid: str, msg_type: str, account: str = "gh_test", **fields: str) -> bytes:
    """A plain-mode WeChat push of any type with extra fields (Event, EventKey, …)."""
    extra = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    return (
        f"<xml><ToUserName><![CDATA[{account}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[{msg_type}]]></MsgType>{extra}</xml>"
    ).encode()
