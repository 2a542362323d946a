"""WeChat and Weibo on the production profile: two Rasa servers, PostgreSQL, Redis.

Server A answers passively (4.5 s budget); server B has a 1 ms budget, so its
replies go through the (fake) platform APIs. Both share the channel state in Redis.
The cluster (tests/e2e/cluster.py) is conftest's ``cluster``, shared with test_two_servers.

* numbered choices: a full fault report over WeChat plain mode, WeChat safe mode and
  Weibo, the severity chosen by its number (each level once, sent to the other
  server than the one that showed the list) and the summary confirmed by number; the stored case has the chosen severity; a number out of
  range gets the list again; an old list cannot be answered after a new question.
* three retries of one WeChat MsgId sent to both servers at once: one user event in
  the tracker, one reply delivered (passive or API, never both), and one token
  fetch for both servers.
* a form answer retried on the other server after the first run finished is not
  taken as the answer to the next question (tracker slots checked).
* a late reply the platform API refuses (WeChat 45015, Weibo 403) is kept in Redis
  and comes, after the note, with the customer's next message on the other server.
* the signed webhook beside them: a request signed for A and replayed to B is
  refused (the delivery id is remembered in Redis), so is a stale timestamp, and a
  typed "/intent" is taken as text.
* failed phone proofs of a case-status lookup, alternately on both servers, lock the
  case after the limit, neutrally, for a new conversation on the other server too.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis

from actions.context import Services
from bot.channels.signed_webhook import signed_headers
from bot.channels.state import DEFAULT_REDIS_DB, KEY_PREFIX
from bot.config import (
    DEFAULT_IDENTITY_LOCKOUT_MINUTES,
    DEFAULT_IDENTITY_MAX_FAILURES,
    Settings,
)
from bot.replies import render
from harness.servers import Stack, intake_turns
from tests.e2e.channel_users import (
    IDS,
    FakeAPIs,
    TextUser,
    WeChatUser,
    WeiboUser,
    post,
    slots,
    squeezed,
    user_events,
    wait_for,
)
from tests.e2e.cluster import WEBHOOK_SECRET
from tests.e2e.test_conversations import case_rows, texts
from tests.services.test_cases import FIELDS

pytestmark = pytest.mark.timeout(1800)

SEVERITY_NAMES = {1: "严重程度一", 2: "严重程度二", 3: "严重程度三"}
# Contact names: a person's name has no digits (the intake refuses "号码1" as a name).
NAMES = {1: "赵演示", 2: "钱演示", 3: "孙演示"}


def _number_of(reply: str, wanted: str) -> int:
    """The number of the listed choice whose title mentions ``wanted``."""
    for line in reply.splitlines():
        match = re.match(r"^(\d+)\. (.*)$", line)
        if match and wanted in match.group(2):
            return int(match.group(1))
    raise AssertionError(f"{wanted} is not listed in {reply!r}")


@pytest.mark.parametrize(
    ("platform", "server", "severity"),
    [("wechat-plain", 0, 1), ("wechat-safe", 1, 2), ("weibo", 1, 3)],
)
def test_severity_chosen_by_number(
    cluster: tuple[Stack, list[int], FakeAPIs], platform: str, server: int, severity: int
) -> None:
    stack, ports, apis = cluster

    def customer(port: int) -> TextUser:
        if platform == "weibo":
            return WeiboUser(port, apis, 5000 + severity, stack.db_url)
        safe = platform == "wechat-safe"
        return WeChatUser(port, apis, f"num-{platform}", stack.db_url, safe=safe)

    user, elsewhere = customer(ports[server]), customer(ports[1 - server])
    # the suite's own intake; the number is looked up in the list shown, whatever the
    # suggested level
    turns = intake_turns(NAMES[severity], f"1380000000{severity}")
    replies = [user.say(turn) for turn in turns]
    question = replies[-1]
    # The levels in their order, the suggestion marked: the number typed is the level.
    assert "1. 严重程度一" in question and "（建议）" in question, replies
    assert _number_of(question, SEVERITY_NAMES[severity]) == severity
    out_of_range = user.say("9")
    assert "1 到 3" in out_of_range and out_of_range.endswith(question.splitlines()[-1])
    # the number reaches the other server: the list shown is in Redis, not in A or B
    summary = elsewhere.say(str(_number_of(question, SEVERITY_NAMES[severity])))
    assert NAMES[severity] in summary, summary
    confirm = _number_of(summary, "确认提交")
    assert "PMR-" in user.say(f"第{confirm}个")
    cases = [r for r in case_rows(stack.db_url) if r["sender_id"] == user.sender]
    assert [(c["severity"], c["contact_name"]) for c in cases] == [(severity, NAMES[severity])]
    # the question after the case has no list: an old number is text again
    assert "1. 好（" not in user.say("1")


def test_retries_across_servers_run_once_and_reply_once(
    cluster: tuple[Stack, list[int], FakeAPIs],
) -> None:
    stack, ports, apis = cluster
    openid = "retry-openid-0001"
    user = WeChatUser(ports[0], apis, openid, stack.db_url, safe=False)
    query, body = user.request("DB2 热线", str(next(IDS)))
    with ThreadPoolExecutor(3) as pool:
        answers = list(
            pool.map(
                lambda port: post(f"http://127.0.0.1:{port}/webhooks/wechat/webhook", query, body),
                [ports[0], ports[1], ports[0]],
            )
        )
    passive = [a for a in (user.passive(x) for x in answers) if a is not None]
    time.sleep(6)  # past every budget: a late push would have happened by now
    pushed = user.pushed()
    assert user_events(stack.db_url, openid) == ["DB2 热线"]
    if passive:
        assert not pushed, (passive, pushed)
        assert len(set(passive)) == 1  # retries repeat the one answer
    else:
        assert len(pushed) == 1
    # B pushes all its replies, A its long ones: one token fetch for the whole module
    assert apis.wechat.token_fetches == 1


def _retry_on_the_other_server(first: WeChatUser, other: WeChatUser, content: str) -> None:
    """``content`` to ``first``, then the platform's retry of it (same MsgId) to ``other``.

    The retry comes after the first request was answered; between them the message's
    reply is delivered exactly once: passively (the retry repeats it) or pushed.
    """
    query, body = first.request(content, str(next(IDS)))
    pushed = len(first.pushed())
    answer = first.passive(post(first.url, query, body))
    if answer is None:
        wait_for(first.pushed, pushed + 1)
    retried = other.passive(post(other.url, query, body))
    time.sleep(1)  # a stray push of either would have come by now
    late = len(first.pushed()) - pushed
    if answer is not None:
        assert (retried, late) == (answer, 0)
    else:
        assert (retried, late) == (None, 1)


def test_a_form_answer_retried_on_the_other_server_is_not_the_next_answer(
    cluster: tuple[Stack, list[int], FakeAPIs],
) -> None:
    stack, ports, apis = cluster
    openid = "form-retry-openid"
    on_a, on_b = (WeChatUser(port, apis, openid, stack.db_url, safe=False) for port in ports)
    report, name, company, phone = intake_turns("周演示", "13800000005")[:4]
    on_a.say(report)
    assert slots(stack.db_url, openid)["requested_slot"] == "contact_name"
    _retry_on_the_other_server(on_b, on_a, name)  # B pushes the company question
    assert slots(stack.db_url, openid)["requested_slot"] == "company"
    _retry_on_the_other_server(on_a, on_b, company)  # A answers passively, in time
    on_b.say(phone)
    assert user_events(stack.db_url, openid) == [report, name, company, phone]
    filled = slots(stack.db_url, openid)
    assert (filled["contact_name"], filled["company"], filled["phone"]) == (name, company, phone)


def _kept_text(apis: FakeAPIs, platform: str) -> list[str]:
    """The texts the fake API refused (WeChat: an errcode; Weibo: an HTTP error)."""
    if platform == "wechat":
        return [s["body"]["text"]["content"] for s in apis.wechat.sends if s["errcode"]]
    return [json.loads(s["data"])["text"] for s in apis.weibo.refused]


@pytest.mark.parametrize("platform", ["wechat", "weibo"])
def test_a_refused_late_reply_comes_with_the_next_message_on_the_other_server(
    cluster: tuple[Stack, list[int], FakeAPIs],
    redis_port: int,
    platform: str,
) -> None:
    stack, ports, apis = cluster
    user_a: TextUser
    user_b: TextUser
    if platform == "wechat":
        user_a, user_b = (
            WeChatUser(port, apis, "refused-openid", stack.db_url, safe=False) for port in ports
        )
        apis.wechat.send_errors.append(45015)  # the 48-hour window is closed
    else:
        user_a, user_b = (WeiboUser(port, apis, 7001, stack.db_url) for port in ports)
        apis.weibo.errors.append(403)
    refused = len(_kept_text(apis, platform))
    assert user_b.send("DB2 热线") is None  # past B's budget, and the API refuses the push
    kept = wait_for(lambda: _kept_text(apis, platform), refused + 1)[-1]
    pending = f"{KEY_PREFIX}{platform}:pending:{user_b.sender}"
    shared = redis.Redis(port=redis_port, db=DEFAULT_REDIS_DB)
    try:  # kept in Redis (where A finds it) right after the refusal
        deadline = time.monotonic() + 10
        while not shared.llen(pending) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert shared.llen(pending) == 1
    finally:
        shared.close()
    assert not user_b.pushed()
    reply = user_a.say("客服工作时间是什么时候")
    note = render("channel_pending_note")
    assert reply.startswith(note) and squeezed(kept) in squeezed(reply), reply
    assert user_events(stack.db_url, user_a.sender) == ["DB2 热线", "客服工作时间是什么时候"]


async def _open_case(db_url: str, owner: str) -> str:
    """A case of ``owner``'s, opened through the support store; its id."""
    svc = Services(Settings.from_env({"PPA_DB_URL": db_url}))
    try:
        case, _ = await svc.cases.open(FIELDS, 2, "wechat", owner, f"intake-{owner}")
        return str(case.case_id)
    finally:
        await svc.db.dispose()


def test_failed_phone_proofs_lock_the_case_on_both_servers(
    cluster: tuple[Stack, list[int], FakeAPIs],
) -> None:
    stack, ports, _ = cluster
    case_id = asyncio.run(_open_case(stack.db_url, "lock-owner"))
    prober = "prober-openid"
    locked = render("identity_locked", minutes=DEFAULT_IDENTITY_LOCKOUT_MINUTES)
    for n in range(DEFAULT_IDENTITY_MAX_FAILURES):
        port = ports[n % 2]  # the count lives in PostgreSQL: both servers see it
        asked = texts(stack.say(prober, f"查一下 {case_id} 的进度", port))
        assert "电话" in asked, asked
        answer = texts(stack.say(prober, "13911112222", port))
        assert (locked in answer) is (n == DEFAULT_IDENTITY_MAX_FAILURES - 1), answer
        assert "处理中" not in answer
    # per case: a new conversation on the other server is locked out too, not even
    # asked for the phone (the right one would not help)
    answer = texts(stack.say("late-visitor", f"查一下 {case_id} 的进度", ports[1]))
    assert locked in answer and "处理中" not in answer, answer


def _signed_post(port: int, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    """POST to the signed webhook; the status and the JSON answer."""
    url = f"http://127.0.0.1:{port}/webhooks/signed_webhook/webhook"
    request = urllib.request.Request(url, body, {"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310  (loopback)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_a_signed_request_replayed_to_the_other_server_is_refused(
    cluster: tuple[Stack, list[int], FakeAPIs],
) -> None:
    stack, ports, _ = cluster
    sender = "signed-caller-1"
    body = json.dumps({"sender": sender, "message": "/greet"}).encode()
    headers = signed_headers(WEBHOOK_SECRET, body)
    status, replies = _signed_post(ports[0], body, headers)
    assert status == 200 and isinstance(replies, list) and replies
    assert _signed_post(ports[1], body, headers) == (401, {"error": "replayed request"})
    stale = signed_headers(WEBHOOK_SECRET, body, timestamp=str(int(time.time()) - 600))
    assert _signed_post(ports[1], body, stale)[0] == 401
    # one turn, and the typed intent reached the bot as text (full-width solidus)
    assert user_events(stack.db_url, sender) == ["\uff0fgreet"]
