"""The WeChat channel under load: paced customers in safe mode, as WeChat's servers act.

Each customer sends the bench's case intake as AES-encrypted pushes to the Rasa
servers' WeChat webhook (round robin per request, as a load balancer may) and behaves
like WeChat's side of the protocol: a push not answered within 5 s is sent again with
the same MsgId, three tries at most. A turn's reply is **passive** when the push's
own response carries it within the channel's 4.5 s budget; otherwise the channel
answers ``success`` and the reply must come through the (fake) customer-service API.

Per turn the driver records: passive (and its latency), pushed, or **lost** (neither
within ``LATE_WAIT_S``); **duplicated** when a turn was answered twice (passive and
pushed, or the same text pushed twice). Afterwards the tracker is read: every
conversation must hold each message exactly once (a retry run twice, or dropped,
shows there), and ``bench.run`` checks each opened exactly one case.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import yaml

from bench.load import server_for
from bot.channels.wechat_crypto import WeChatCrypto
from bot.stats import latency_summary
from harness.fake_platforms import FakeWeChatAPI, wechat_passive_text, wechat_request

# Fake credentials: the fake API accepts any; nothing here reaches Tencent.
TOKEN, APPID, APPSECRET = "benchtoken", "wxbench000000000001", "bench-secret"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
CHANNEL = "bot.channels.wechat.WeChatInput"
# WeChat waits 5 s for an answer, then retries the same push; three tries in all.
WECHAT_WINDOW_S = 5.0
WECHAT_TRIES = 3
# The channel's passive budget (its default reply_timeout): the target's "in time".
PASSIVE_BUDGET_MS = 4500.0
# How long a reply answered "success" may take to come through the API.
LATE_WAIT_S = 30.0
# After a conversation's last turn: time for a stray second copy to show up.
SETTLE_S = 1.0
POLL_S = 0.02
_MSG_IDS = itertools.count(int(time.time()) * 1000)


def credentials_yaml(api_base: str, redis_port: int | None) -> str:
    """credentials.yml for our Rasa servers: REST and WeChat (safe mode) on ``api_base``.

    With ``redis_port`` the replicas share the channel state (retries, pending replies)
    in Redis, as deploy/ configures them.
    """
    wechat: dict[str, Any] = {
        "token": TOKEN,
        "appid": APPID,
        "appsecret": APPSECRET,
        "aes_key": AES_KEY,
        "api_base": api_base,
    }
    if redis_port is not None:
        wechat.update(redis_host="127.0.0.1", redis_port=str(redis_port))
    return yaml.safe_dump({"rest": None, CHANNEL: wechat}, allow_unicode=True)


@dataclass
class WeChatLoadResult:
    """What the WeChat scenario measured, turn by turn."""

    name: str
    conversations: int
    turns: int
    wall_s: float = 0.0
    passive_ms: list[float] = field(default_factory=list)  # passive in time
    slow_passive: int = 0  # passive, but after the budget
    pushed: int = 0  # answered "success", reply through the API
    lost: int = 0
    duplicated: int = 0
    retries: int = 0
    errors: list[str] = field(default_factory=list)
    senders: list[str] = field(default_factory=list)
    tracker_mismatches: list[str] = field(default_factory=list)

    @property
    def messages(self) -> int:
        return self.conversations * self.turns

    def summary(self) -> dict[str, Any]:
        """The JSON form: shares, counts and the passive replies' latency."""
        passive = len(self.passive_ms)
        return {
            "name": self.name,
            "conversations": self.conversations,
            "messages": self.messages,
            "passive": passive,
            "passive_share": round(passive / self.messages, 4) if self.messages else 0.0,
            "slow_passive": self.slow_passive,
            "pushed": self.pushed,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "wechat_retries": self.retries,
            "tracker_mismatches": len(self.tracker_mismatches),
            "errors": len(self.errors),
            "error_samples": sorted(set(self.errors))[:5],
            "wall_s": round(self.wall_s, 3),
            **latency_summary(self.passive_ms),
        }


class Inbox:
    """What the fake API accepted, by OpenID; read incrementally (the list only grows).

    The fake API records in its own thread; appending to a list is atomic in CPython,
    so reading up to its current length is safe.
    """

    def __init__(self, api: FakeWeChatAPI) -> None:
        self.api = api
        self._read = 0
        self._texts: dict[str, list[str]] = {}

    def texts(self, openid: str) -> list[str]:
        """The texts delivered to ``openid`` so far, in order."""
        sends = self.api.sends
        end = len(sends)
        for send in sends[self._read : end]:
            body = send["body"]
            if send["errcode"] == 0 and body.get("msgtype") == "text":
                self._texts.setdefault(body["touser"], []).append(body["text"]["content"])
        self._read = end
        return self._texts.get(openid, [])


class WeChatCustomer:
    """One customer (OpenID) and what the fake API delivered to them."""

    def __init__(self, openid: str, inbox: Inbox) -> None:
        self.openid, self.inbox = openid, inbox
        self.crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)

    def pushed(self) -> list[str]:
        """Texts the fake API accepted for this customer, in order."""
        return self.inbox.texts(self.openid)


async def _post(
    session: aiohttp.ClientSession, url: str, query: dict[str, str], body: bytes
) -> tuple[int, str]:
    async with session.post(url, params=query, data=body) as resp:
        return resp.status, await resp.text()


async def push_with_retries(
    session: aiohttp.ClientSession,
    urls: Sequence[str],
    index: int,
    turn: int,
    customer: WeChatCustomer,
    content: str,
    result: WeChatLoadResult,
) -> tuple[str | None, float] | None:
    """Send one message as WeChat does: (passive text, seconds), or None for no answer."""
    query, body = wechat_request(
        TOKEN, customer.crypto, customer.openid, content, str(next(_MSG_IDS))
    )
    start = time.perf_counter()
    for attempt in range(WECHAT_TRIES):
        url = server_for(urls, index, turn + attempt)
        try:
            status, text = await asyncio.wait_for(_post(session, url, query, body), WECHAT_WINDOW_S)
        except asyncio.TimeoutError:
            result.retries += 1
            continue
        except aiohttp.ClientError as exc:  # WeChat retries a failed push too
            result.errors.append(f"{type(exc).__name__}: {exc}"[:200])
            continue
        if status != 200:
            result.errors.append(f"HTTP {status}")
            continue
        return wechat_passive_text(text, customer.crypto), time.perf_counter() - start
    return None  # WeChat gives up on the push; only the API can still bring the reply


async def _wait_pushes(customer: WeChatCustomer, count: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    # The fake API records in another thread's event loop: poll, no asyncio.Event.
    while len(customer.pushed()) < count and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(POLL_S)
    return len(customer.pushed())


def _duplicated(passive: bool, extra: Sequence[str]) -> bool:
    """A turn answered twice: passively and through the API, or one text pushed twice."""
    if passive:
        return bool(extra)
    return any(n > 1 for n in Counter(extra).values())


@dataclass(frozen=True)
class Pace:
    """A customer's reading time, and how long a late reply may take through the API."""

    think_s: float
    late_wait_s: float = LATE_WAIT_S


async def converse(
    session: aiohttp.ClientSession,
    urls: Sequence[str],
    index: int,
    turns: Sequence[str],
    pace: Pace,
    customer: WeChatCustomer,
    result: WeChatLoadResult,
) -> None:
    """One customer's intake, turn by turn, classifying each turn's reply.

    What the API delivers between one message and the next (the customer's reading
    time included) belongs to the earlier turn; after the last turn, ``SETTLE_S``.
    """
    await asyncio.sleep(pace.think_s * index / result.conversations)  # spread the starts
    answered_passively: bool | None = None
    before = 0
    for turn, content in enumerate(turns):
        if turn:
            await asyncio.sleep(pace.think_s)
        if answered_passively is not None:
            now = len(customer.pushed())
            result.duplicated += _duplicated(answered_passively, customer.pushed()[before:now])
        before = len(customer.pushed())
        answered_passively = await _one_turn(
            session, urls, (index, turn), customer, content, result, pace.late_wait_s
        )
    await asyncio.sleep(SETTLE_S)
    if answered_passively is not None:
        result.duplicated += _duplicated(answered_passively, customer.pushed()[before:])


async def _one_turn(
    session: aiohttp.ClientSession,
    urls: Sequence[str],
    where: tuple[int, int],
    customer: WeChatCustomer,
    content: str,
    result: WeChatLoadResult,
    late_wait_s: float,
) -> bool | None:
    """Send one message and wait for its reply; True passive, False pushed, None lost."""
    before = len(customer.pushed())
    sent = await push_with_retries(session, urls, *where, customer, content, result)
    if sent is not None and sent[0] is not None:
        ms = sent[1] * 1000
        if ms <= PASSIVE_BUDGET_MS:
            result.passive_ms.append(ms)
        else:
            result.slow_passive += 1
        return True
    if await _wait_pushes(customer, before + 1, late_wait_s) > before:
        result.pushed += 1
        return False
    result.lost += 1
    return None


async def run_wechat_load(
    urls: Sequence[str],
    turns: Sequence[str],
    conversations: int,
    pace: Pace,
    api: FakeWeChatAPI,
    prefix: str,
    timeout_s: float,
) -> WeChatLoadResult:
    """``conversations`` paced WeChat customers at once against the servers' webhooks."""
    result = WeChatLoadResult(f"wechat_paced_{conversations}", conversations, len(turns))
    inbox = Inbox(api)
    customers = [WeChatCustomer(f"{prefix}-{i:02d}", inbox) for i in range(conversations)]
    result.senders = [c.openid for c in customers]
    connector = aiohttp.TCPConnector(limit=conversations * WECHAT_TRIES)
    start = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector) as session:
        jobs = [converse(session, urls, i, turns, pace, c, result) for i, c in enumerate(customers)]
        try:
            await asyncio.wait_for(asyncio.gather(*jobs), timeout_s)
        except asyncio.TimeoutError:
            result.errors.append("scenario time limit")
    result.wall_s = time.perf_counter() - start
    classified = len(result.passive_ms) + result.slow_passive + result.pushed + result.lost
    result.lost += result.messages - classified  # never sent: the time limit
    return result


def user_turns_per_sender(db_url: str, senders: Sequence[str]) -> dict[str, list[str]]:
    """Each sender's stored user messages (the tracker's ``user`` events), in order."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url, future=True)
    sql = text("SELECT sender_id, data FROM events WHERE type_name = 'user' ORDER BY id")
    out: dict[str, list[str]] = {s: [] for s in senders}
    try:
        with engine.connect() as conn:
            for sender, data in conn.execute(sql):
                if sender in out:
                    out[sender].append(str(json.loads(data).get("text")))
    finally:
        engine.dispose()
    return out


def check_tracker(result: WeChatLoadResult, db_url: str, turns: Sequence[str]) -> None:
    """Every conversation stored each message exactly once, in order."""
    stored = user_turns_per_sender(db_url, result.senders)
    result.tracker_mismatches = [s for s, texts in stored.items() if texts != list(turns)]
