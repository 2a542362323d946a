"""WeChat and Weibo on the production profile: two Rasa servers, PostgreSQL, Redis.

Server A answers passively (4.5 s budget); server B has a 0.05 s budget, so its
replies go through the (fake) platform APIs. Both share the channel state in Redis.
The cluster (tests/e2e/cluster.py) is conftest's ``cluster``, shared with test_two_servers.

* numbered choices: a full fault report over WeChat plain mode, WeChat safe mode and
  Weibo, the severity chosen by its number (each level once) and the summary
  confirmed by number; the stored case has the chosen severity; a number out of
  range gets the list again; an old list cannot be answered after a new question.
* three retries of one WeChat MsgId sent to both servers at once: one user event in
  the tracker, one reply delivered (passive or API, never both), and one token
  fetch for both servers.
"""

from __future__ import annotations

import itertools
import json
import re
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bot.channels.signature import sha1_signature
from bot.channels.wechat_crypto import WeChatCrypto
from bot.channels.wechat_xml import parse_message
from harness.servers import Stack, intake_turns
from tests.channels import signed_query, wechat_text
from tests.e2e.cluster import AES_KEY, APPID, TOKEN, WEIBO_SECRET, FakeAPIs
from tests.e2e.test_conversations import case_rows

pytestmark = pytest.mark.timeout(1800)

ACCOUNT = 1902538057
SEVERITY_NAMES = {1: "严重程度一", 2: "严重程度二", 3: "严重程度三"}
_IDS = itertools.count(int(time.time()) * 100)


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
