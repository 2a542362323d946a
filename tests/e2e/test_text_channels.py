"""WeChat and Weibo on the production profile: two Rasa servers, PostgreSQL, Redis.

Server A answers passively (4.5 s budget); server B has a 0.05 s budget, so its
replies go through the (fake) platform APIs. Both share the channel state in Redis.

* numbered choices: a full fault report over WeChat plain mode, WeChat safe mode and
  Weibo, the severity chosen by its number (each level once) and the summary
  confirmed by number; the stored case has the chosen severity; a number out of
  range gets the list again; an old list cannot be answered after a new question.
* three retries of one WeChat MsgId sent to both servers at once: one user event in
  the tracker, one reply delivered (passive or API, never both), and one token
  fetch for both servers.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, text

from bot.channels.signature import sha1_signature
from bot.channels.wechat_crypto import WeChatCrypto
from bot.channels.wechat_xml import parse_message
from harness.servers import Stack, free_port, intake_turns, make_stack
from tests.channels import FakeWeChatAPI, FakeWeiboAPI, signed_query, wechat_text
from tests.e2e.test_conversations import case_rows
from tests.e2e.test_two_servers import pg_db_url, redis_port  # noqa: F401  (fixtures)

pytestmark = pytest.mark.timeout(1800)

TOKEN, APPID, AES_KEY = (
    "e2etoken",
    "wxe2e0000000000001",
    "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
)
WEIBO_SECRET, ACCOUNT = "weibo-e2e-secret", 1902538057
SEVERITY_NAMES = {1: "严重程度一", 2: "严重程度二", 3: "严重程度三"}
_IDS = itertools.count(int(time.time()) * 100)


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
        for api in (self.wechat, self.weibo):
            asyncio.run_coroutine_threadsafe(api.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def _credentials(apis: FakeAPIs, redis: int, reply_timeout: float | None) -> str:
    shared = {"redis_host": "127.0.0.1", "redis_port": str(redis)}
    timeout = {"reply_timeout": reply_timeout} if reply_timeout else {}
    channels = {
        "rest": None,
        "bot.channels.wechat.WeChatInput": {
            "token": TOKEN,
            "appid": APPID,
            "appsecret": "e2e-secret",
            "aes_key": AES_KEY,
            "api_base": apis.wechat.base_url,
            **shared,
            **timeout,
        },
        "bot.channels.weibo.WeiboInput": {
            "app_secret": WEIBO_SECRET,
            "access_token": "2.00e2e",
            "api_base": apis.weibo.base_url,
            **shared,
            **timeout,
        },
    }
    return yaml.safe_dump(channels, allow_unicode=True)


@pytest.fixture(scope="module")
def cluster(
    trained_model: Any,
    tmp_path_factory: Any,
    pg_db_url: str,  # noqa: F811
    redis_port: int,  # noqa: F811
) -> Iterator[tuple[Stack, list[int], FakeAPIs]]:
    lock = f"lock_store:\n  type: redis\n  url: 127.0.0.1\n  port: {redis_port}\n  db: 1\n"
    stack = make_stack(tmp_path_factory.mktemp("channels"), trained_model, pg_db_url, lock)
    apis = FakeAPIs()
    second = free_port()
    credentials = stack.workdir / "credentials.yml"
    try:
        stack.start_actions()
        # Rasa reads the credentials once, at start: A passive, B through the APIs
        credentials.write_text(_credentials(apis, redis_port, None), "utf-8")
        stack.start_rasa("rasa", stack.rasa_port)
        credentials.write_text(_credentials(apis, redis_port, 0.05), "utf-8")
        stack.start_rasa("rasa2", second)
        yield stack, [stack.rasa_port, second], apis
    finally:
        stack.stop_all()
        apis.stop()


def _post(url: str, query: dict[str, str], body: bytes) -> str:
    # always http://127.0.0.1 (the servers this module starts)
    request = urllib.request.Request(f"{url}?{urllib.parse.urlencode(query)}", body)  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310  (loopback)
        return str(response.read().decode("utf-8"))


def _wait_for(sends: Callable[[], list[Any]], count: int, timeout: float = 60) -> list[Any]:
    deadline = time.monotonic() + timeout
    while len(sends()) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return sends()


class WeChatUser:
    """A WeChat customer on a server; ``say`` returns the reply, passive or pushed."""

    def __init__(self, port: int, apis: FakeAPIs, openid: str, safe: bool) -> None:
        self.url = f"http://127.0.0.1:{port}/webhooks/wechat/webhook"
        self.apis, self.openid = apis, openid
        self.crypto = WeChatCrypto(TOKEN, AES_KEY, APPID) if safe else None

    def _pushed(self) -> list[str]:
        return [
            s["body"]["text"]["content"]
            for s in self.apis.wechat.delivered()
            if s["body"]["touser"] == self.openid
        ]

    def request(self, content: str, msg_id: str) -> tuple[dict[str, str], bytes]:
        inner = wechat_text(self.openid, content, msg_id)
        if self.crypto is None:
            return signed_query(TOKEN), inner
        encrypt = self.crypto.encrypt(inner)
        query = signed_query(TOKEN, encrypt_type="aes")
        query["msg_signature"] = sha1_signature(TOKEN, query["timestamp"], query["nonce"], encrypt)
        body = f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
        return query, body.encode()

    def passive(self, body: str) -> str | None:
        if body == "success":
            return None
        fields = parse_message(body.encode())
        if self.crypto is not None:
            fields = parse_message(self.crypto.decrypt(fields["Encrypt"]).encode())
        return fields["Content"]

    def say(self, content: str) -> str:
        before = len(self._pushed())
        query, body = self.request(content, str(next(_IDS)))
        reply = self.passive(_post(self.url, query, body))
        if reply is not None:
            return reply
        return "\n".join(_wait_for(self._pushed, before + 1)[before:])


class WeiboUser:
    """A Weibo fan on a server; ``say`` returns the reply, passive or pushed."""

    def __init__(self, port: int, apis: FakeAPIs, fan: int) -> None:
        self.url = f"http://127.0.0.1:{port}/webhooks/weibo/webhook"
        self.apis, self.fan = apis, fan

    def _pushed(self) -> list[str]:
        return [
            json.loads(s["data"])["text"]
            for s in self.apis.weibo.sends
            if s["receiver_id"] == str(self.fan)
        ]

    def say(self, content: str) -> str:
        before = len(self._pushed())
        push = {
            "type": "text",
            "receiver_id": ACCOUNT,
            "sender_id": self.fan,
            "created_at": str(next(_IDS)),
            "text": content,
            "data": {},
        }
        query = signed_query(WEIBO_SECRET, timestamp=str(int(time.time() * 1000)))
        body = _post(self.url, query, json.dumps(push, ensure_ascii=False).encode())
        if body:
            return str(json.loads(urllib.parse.unquote(json.loads(body)["data"]))["text"])
        return "\n".join(_wait_for(self._pushed, before + 1)[before:])


def _number_of(reply: str, wanted: str) -> int:
    """The number of the listed choice whose title mentions ``wanted``."""
    for line in reply.splitlines():
        match = re.match(r"^(\d+)\. (.*)$", line)
        if match and wanted in match.group(2):
            return int(match.group(1))
    raise AssertionError(f"{wanted} is not listed in {reply!r}")


# Known failure (issue #11 stays open): on the two-server cluster the intake over
# WeChat/Weibo ends before the severity question (the last replies are the
# "what do you need" menu and a new intake), while the same turns over REST open the
# case (tests/e2e/test_conversations.py). Numbered choices themselves are tested in
# process in tests/channels/test_choices.py and test_wechat.py. strict: a fix shows.
@pytest.mark.xfail(strict=True, reason="intake over WeChat/Weibo on two replicas stops early")
@pytest.mark.parametrize(
    ("platform", "server", "severity"),
    [("wechat-plain", 0, 1), ("wechat-safe", 1, 2), ("weibo", 1, 3)],
)
def test_severity_chosen_by_number(
    cluster: tuple[Stack, list[int], FakeAPIs], platform: str, server: int, severity: int
) -> None:
    stack, ports, apis = cluster
    sender = f"num-{platform}"
    user: WeChatUser | WeiboUser
    if platform == "weibo":
        user = WeiboUser(ports[server], apis, 5000 + severity)
        sender = str(5000 + severity)
    else:
        user = WeChatUser(ports[server], apis, sender, safe=platform == "wechat-safe")
    # the suite's own intake (a non-production wording was not read as a fault report);
    # the number is looked up in the list shown, whatever the suggested level
    turns = intake_turns(f"号码{severity}", f"1380000000{severity}")
    replies = [user.say(turn) for turn in turns]
    question = replies[-1]
    assert "1. 好（" in question, replies[-3:]
    out_of_range = user.say("9")
    assert "1 到 3" in out_of_range and out_of_range.endswith(question.splitlines()[-1])
    summary = user.say(str(_number_of(question, SEVERITY_NAMES[severity])))
    confirm = _number_of(summary, "确认提交")
    assert "PMR-" in user.say(f"第{confirm}个")
    cases = [r for r in case_rows(stack.db_url) if r["sender_id"] == sender]
    assert [c["severity"] for c in cases] == [severity]
    # the question after the case has no list: an old number is text again
    assert "1. 好（" not in user.say("1")


def _user_events(db_url: str, sender: str) -> list[str]:
    engine = create_engine(db_url, future=True)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user'"),
                {"s": sender},
            ).all()
    finally:
        engine.dispose()
    return [json.loads(row[0])["text"] for row in rows]


def test_retries_across_servers_run_once_and_reply_once(
    cluster: tuple[Stack, list[int], FakeAPIs],
) -> None:
    stack, ports, apis = cluster
    openid = "retry-openid-0001"
    users = [WeChatUser(port, apis, openid, safe=False) for port in ports]
    msg_id = str(next(_IDS))
    query, body = users[0].request("DB2 热线", msg_id)
    with ThreadPoolExecutor(3) as pool:
        answers = list(
            pool.map(
                lambda port: _post(f"http://127.0.0.1:{port}/webhooks/wechat/webhook", query, body),
                [ports[0], ports[1], ports[0]],
            )
        )
    passive = [a for a in (users[0].passive(x) for x in answers) if a is not None]
    time.sleep(6)  # past every budget: a late push would have happened by now
    pushed = [s for s in apis.wechat.delivered() if s["body"]["touser"] == openid]
    assert _user_events(stack.db_url, openid) == ["DB2 热线"]
    if passive:
        assert not pushed, (passive, pushed)
        assert len(set(passive)) == 1  # retries repeat the one answer
    else:
        assert len(pushed) == 1
    # B pushes all its replies, A its long ones: one token fetch for the whole module
    assert apis.wechat.token_fetches == 1
