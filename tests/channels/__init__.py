"""Helpers for the channel tests: a real Sanic server, a fake bot and fake platform APIs.

Nothing of the code under test is mocked: channels are registered with Rasa's own
``register()`` on a Sanic app listening on 127.0.0.1, requests go over HTTP with
aiohttp, and the WeChat / Weibo APIs are small aiohttp servers that record calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from rasa.core.channels.channel import InputChannel, UserMessage, register
from sanic import Sanic

from bot.channels.signature import sha1_signature

# Vector A: Tencent's WXBizMsgCrypt sample (OA, compatible mode).
A_TOKEN = "spamtest"
A_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
A_APPID = "wx2c2769f8efd9abc2"
A_TIMESTAMP = "1409735669"
A_NONCE = "1320562132"
A_MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
A_SIGNATURE = "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a"
A_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFV"
    "AFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVtic"
    "bSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+"
    "77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEP"
    "o5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)
A_PLAINTEXT = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n"
    "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n"
    "<CreateTime>1409735668</CreateTime>\n"
    "<MsgType><![CDATA[text]]></MsgType>\n"
    "<Content><![CDATA[abcdteT]]></Content>\n"
    "<MsgId>6054768590064713728</MsgId>\n"
    "</xml>"
)

_APP_NUMBERS = itertools.count()

LONG_TEXT = "您好，" + "这是一段很长的技术支持说明。" * 200  # ~8.4 KB in UTF-8


class FakeBot:
    """A simple flow in place of Rasa's agent: echo plus a few canned replies.

    ``delay`` makes every turn slow (for the 5-second rule); ``calls`` records the
    ``UserMessage`` of each turn.
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.calls: list[UserMessage] = []

    async def handle_message(self, message: UserMessage) -> None:
        """Answer like a tiny bot would, through the message's output channel."""
        self.calls.append(message)
        if self.delay:
            await asyncio.sleep(self.delay)
        out, sender, text = message.output_channel, message.sender_id, message.text or ""
        if text == "按钮":
            buttons = [
                {"title": "DB2", "payload": "/choose_db2"},
                {"title": "WebSphere", "payload": "/choose_was"},
            ]
            await out.send_text_with_buttons(sender, "请选择产品：", buttons)
        elif text == "图片":
            await out.send_image_url(sender, "https://example.com/guide.png")
        elif text == "两条":
            await out.send_text_message(sender, "第一条")
            await out.send_text_message(sender, "第二条")
        elif text == "长文":
            await out.send_text_message(sender, LONG_TEXT)
        elif text == "出错":
            raise RuntimeError("the bot broke")
        else:
            await out.send_text_message(sender, f"收到：{text}")


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@asynccontextmanager
async def serve_channel(channel: InputChannel, bot: FakeBot) -> AsyncIterator[str]:
    """Run ``channel`` on a real Sanic server; yields its ``/webhooks/<name>`` URL."""
    # Sanic rewrites its request handler on start-up ("touchup"); in test mode it
    # keeps the original, so that several apps can start in one process.
    Sanic.test_mode = True
    app = Sanic(f"channels_test_{next(_APP_NUMBERS)}_{uuid.uuid4().hex[:8]}")
    app.config.ACCESS_LOG = False
    app.ctx.agent = bot  # Rasa's register() routes on_new_message to agent.handle_message
    register([channel], app, "/webhooks/")
    sock = _free_socket()
    port = sock.getsockname()[1]
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{port}/webhooks/{channel.name()}"
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()


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


def wechat_push(openid: str, msg_type: str, account: str = "gh_test", **fields: str) -> bytes:
    """A plain-mode WeChat push of any type with extra fields (Event, EventKey, …)."""
    extra = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    return (
        f"<xml><ToUserName><![CDATA[{account}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[{msg_type}]]></MsgType>{extra}</xml>"
    ).encode()
