"""Helpers for the channel tests: a real Sanic server, a fake bot and fake platform APIs.

Nothing of the code under test is mocked: channels are registered with Rasa's own
``register()`` on a Sanic app listening on 127.0.0.1, requests go over HTTP with
aiohttp, and the WeChat / Weibo APIs are small aiohttp servers that record calls.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from rasa.core.channels.channel import InputChannel, UserMessage, register
from sanic import Sanic

from harness.fake_platforms import (  # noqa: F401  (re-exported for the channel tests)
    FakeAPIServer,
    FakeWeChatAPI,
    FakeWeiboAPI,
    signed_query,
    wechat_push,
    wechat_text,
)

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
