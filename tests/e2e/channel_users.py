"""Customers of the WeChat and Weibo channels for the e2e tests, and what the bot stored.

A user posts signed pushes to a real Rasa server and reads the reply the way the
customer's app shows it: the passive answer, then whatever the server pushes through
the fake platform API. One turn's reply may arrive in several parts (a passive part
and pushed ones, or several pushes: Weibo texts stay under 300 characters, WeChat's
under 2048 bytes), one by one; ``say`` returns only once the whole turn is in, so a
late part is never read as the reply to the next message.
"""

from __future__ import annotations

import abc
import itertools
import json
import re
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from sqlalchemy import create_engine, text

from bot.channels.messages import render_bot_message
from bot.channels.wechat_crypto import WeChatCrypto
from harness.fake_platforms import FakeAPIs, signed_query, wechat_passive_text, wechat_request

TOKEN, APPID, AES_KEY = (
    "e2etoken",
    "wxe2e0000000000001",
    "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
)
WEIBO_SECRET, ACCOUNT = "weibo-e2e-secret", 1902538057
IDS = itertools.count(int(time.time()) * 100)
# A turn whose last bot line never shows up (e.g. it said nothing) ends after this.
SETTLE = 2.0


def post(url: str, query: dict[str, str], body: bytes) -> str:
    """POST ``body`` to ``url`` with ``query``; the response body."""
    # always http://127.0.0.1 (the servers the e2e module starts)
    request = urllib.request.Request(f"{url}?{urllib.parse.urlencode(query)}", body)  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310  (loopback)
        return str(response.read().decode("utf-8"))


def wait_for(sends: Callable[[], list[Any]], count: int, timeout: float = 60) -> list[Any]:
    """``sends()`` once it has ``count`` items, or when ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while len(sends()) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return sends()


def _rows(db_url: str, sql: str, sender: str) -> list[Any]:
    engine = create_engine(db_url, future=True)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), {"s": sender}).all())
    finally:
        engine.dispose()


def user_events(db_url: str, sender: str) -> list[str]:
    """The texts of the conversation's user events, in order."""
    sql = "SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' ORDER BY id"
    return [json.loads(row[0])["text"] for row in _rows(db_url, sql, sender)]


def slots(db_url: str, sender: str) -> dict[str, Any]:
    """The conversation's slot values, as its stored slot events leave them."""
    sql = "SELECT data FROM events WHERE sender_id = :s AND type_name = 'slot' ORDER BY id"
    values: dict[str, Any] = {}
    for row in _rows(db_url, sql, sender):
        event = json.loads(row[0])
        values[event["name"]] = event["value"]
    return values


def last_bot_line(db_url: str, sender: str) -> str | None:
    """The last line of the conversation's latest bot message, as a text channel shows it."""
    sql = (
        "SELECT data FROM events WHERE sender_id = :s AND type_name = 'bot' "
        "ORDER BY id DESC LIMIT 1"
    )
    rows = _rows(db_url, sql, sender)
    if not rows:
        return None
    event = json.loads(rows[0][0])
    shown = render_bot_message({"text": event.get("text"), **(event.get("data") or {})})
    return shown.splitlines()[-1] if shown else None


def squeezed(value: str) -> str:
    # a part may be cut inside a line; compare without the line breaks
    return re.sub(r"\s+", "", value)


class TextUser(abc.ABC):
    """A customer on one server; ``say`` returns the whole reply, passive and pushed."""

    def __init__(self, db_url: str, sender: str) -> None:
        self.db_url, self.sender = db_url, sender

    @abc.abstractmethod
    def pushed(self) -> list[str]:
        """Every text the fake API accepted for this customer, in order."""

    @abc.abstractmethod
    def send(self, content: str) -> str | None:
        """Push ``content``; the passive answer, or None for the no-reply body."""

    def say(self, content: str) -> str:
        """Send ``content``; every part of the reply to it, joined by line breaks."""
        before = len(self.pushed())
        passive = self.send(content)
        first = [passive] if passive is not None else []
        if not first:
            wait_for(self.pushed, before + 1)
        # The turn is in the tracker before its first part goes out; wait for its last line.
        last = last_bot_line(self.db_url, self.sender)
        deadline = time.monotonic() + SETTLE
        while True:
            parts = first + self.pushed()[before:]
            whole = "\n".join(parts)
            if last is None or squeezed(last) in squeezed(whole):
                return whole
            if time.monotonic() > deadline:
                return whole
            time.sleep(0.05)


class WeChatUser(TextUser):
    """A WeChat customer (plain or safe mode) on the server at ``port``."""

    def __init__(self, port: int, apis: FakeAPIs, openid: str, db_url: str, *, safe: bool) -> None:
        super().__init__(db_url, openid)
        self.url = f"http://127.0.0.1:{port}/webhooks/wechat/webhook"
        self.apis, self.openid = apis, openid
        self.crypto = WeChatCrypto(TOKEN, AES_KEY, APPID) if safe else None

    def pushed(self) -> list[str]:
        """The accepted customer-service messages to this OpenID."""
        return [
            s["body"]["text"]["content"]
            for s in self.apis.wechat.delivered()
            if s["body"]["touser"] == self.openid
        ]

    def request(self, content: str, msg_id: str) -> tuple[dict[str, str], bytes]:
        """The signed query and body of a text push (a retry sends the same again)."""
        return wechat_request(TOKEN, self.crypto, self.openid, content, msg_id)

    def passive(self, body: str) -> str | None:
        """The text of a passive answer; None for ``success``."""
        return wechat_passive_text(body, self.crypto)

    def send(self, content: str) -> str | None:
        """Push ``content`` with a new MsgId."""
        query, body = self.request(content, str(next(IDS)))
        return self.passive(post(self.url, query, body))


class WeiboUser(TextUser):
    """A Weibo fan on the server at ``port``."""

    def __init__(self, port: int, apis: FakeAPIs, fan: int, db_url: str) -> None:
        super().__init__(db_url, str(fan))
        self.url = f"http://127.0.0.1:{port}/webhooks/weibo/webhook"
        self.apis, self.fan = apis, fan

    def pushed(self) -> list[str]:
        """The accepted fan-service replies to this fan."""
        return [
            json.loads(s["data"])["text"]
            for s in self.apis.weibo.sends
            if s["receiver_id"] == str(self.fan)
        ]

    def send(self, content: str) -> str | None:
        """Push ``content`` with a new created_at."""
        push = {
            "type": "text",
            "receiver_id": ACCOUNT,
            "sender_id": self.fan,
            "created_at": str(next(IDS)),
            "text": content,
            "data": {},
        }
        query = signed_query(WEIBO_SECRET, timestamp=str(int(time.time() * 1000)))
        body = post(self.url, query, json.dumps(push, ensure_ascii=False).encode())
        if not body:
            return None
        return str(json.loads(urllib.parse.unquote(json.loads(body)["data"]))["text"])
