"""Live handoff end to end: real Rasa (with its HTTP API), action server, database.

Customer asks for a person → queued, bot muted → agent replies (REST: with the
customer's next message) → customer writes, the bot stays silent, the agent sees it →
agent closes (Rasa resumed through its API) → survey → answer 4 → report shows it.
The servers are conftest's shared ``stack`` (its Rasa server has the HTTP API on and
also serves the WeChat channel against conftest's fake WeChat API), and
``python -m bot desk`` runs next to it: the WeChat test goes through the desk's own
pages and endpoints (signed-in session, CSRF) and the customer-service message API.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator

import aiohttp
import pytest

from bot.config import Settings
from bot.desk.config import DeskSettings
from bot.desk.services import DeskServices
from bot.store import Database
from harness.servers import ROOT, Stack, free_port, wait_http
from tests.desk.conftest import Desk
from tests.e2e.channel_users import APPID, FakeAPIs, WeChatUser, post
from tests.e2e.conftest import WECHAT_SECRET

pytestmark = pytest.mark.timeout(1800)

OPENID = "oPPA_handoff_e2e_0001"
DESK_SECRET = "handoff-e2e-desk-secret-" + "x" * 16


@pytest.fixture(scope="module")
def desk_url(stack: Stack, wechat_api: FakeAPIs) -> Iterator[str]:
    """``python -m bot desk`` on the stack's database, reaching WeChat and Rasa over HTTP."""
    port = free_port()
    env = {
        **stack.env,
        "PPA_DESK_PORT": str(port),
        "PPA_DESK_SECRET": DESK_SECRET,
        "PPA_DESK_POLL_SECONDS": "0.2",
        "RASA_URL": f"http://127.0.0.1:{stack.rasa_port}",
        "WECHAT_APPID": APPID,
        "WECHAT_APPSECRET": WECHAT_SECRET,
        "WECHAT_API_BASE": wechat_api.wechat.base_url,
    }
    with open(stack.workdir / "desk.log", "ab") as log:  # Popen keeps its own copy
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "desk"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    stack.procs["desk"] = proc
    try:
        wait_http(f"http://127.0.0.1:{port}/login", 60, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        stack.stop("desk")


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def cli(stack: Stack, *args: str, stdin: str = "") -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=stack.env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


def desk(stack: Stack, db: Database) -> DeskServices:
    settings = DeskSettings(rasa_url=f"http://127.0.0.1:{stack.rasa_port}")
    return DeskServices(db, Settings(db_url=stack.db_url), settings)


async def test_handoff_over_rest(stack: Stack) -> None:
    cli(stack, "staff", "add", "alice", "--role", "agent", stdin="correct horse battery\n")
    cli(stack, "staff", "available", "alice", "on")
    db = Database(stack.db_url)
    services = desk(stack, db)
    # The stack is shared: count this test's handoff and survey against what was there.
    start = json.loads(cli(stack, "report", "--days", "1", "--json"))
    try:
        queued = texts(stack.say("cust1", "转人工"))
        assert "第 1 位" in queued and "取消" in queued
        assert stack.say("cust1", "我的 DB2 起不来了") == []  # the bot is muted
        [handoff] = [
            h for h in await services.handoff_repo.list(status="waiting") if h.sender_id == "cust1"
        ]
        assert handoff.last_customer_message == "我的 DB2 起不来了"

        sent = await services.handoffs.reply("cust1", "alice", "您好，我是工程师，请发一下报错")
        assert sent.delivery == "pending"  # REST: it goes with the customer's next turn
        answer = texts(stack.say("cust1", "SQL1042C"))
        assert "请发一下报错" in answer and "alice" in answer
        transcript = [m.text for m in await services.handoff_repo.messages(handoff.id)]
        assert "SQL1042C" in transcript

        await services.handoffs.close("cust1", "alice")
        after = texts(stack.say("cust1", "DB2 热线"))
        assert "1–5" in after  # the survey, delivered with this turn
        assert "800-810-1818" in after  # and the bot answers again
        assert "4 分" in texts(stack.say("cust1", "4 很及时"))

        report = json.loads(cli(stack, "report", "--days", "1", "--json"))
        assert report["csat_responses"] == start["csat_responses"] + 1
        assert report["csat_distribution"]["4"] == start["csat_distribution"]["4"] + 1
        assert report["handoffs"] == start["handoffs"] + 1 and report["conversations"] >= 1
    finally:
        await services.close()
        await db.dispose()


async def test_cancel_in_queue_returns_to_the_bot(stack: Stack) -> None:
    db = Database(stack.db_url)
    services = desk(stack, db)
    try:
        if not await services.staff.get("bob"):
            await services.staff.add("bob", "agent", "not-a-real-hash")
        await services.staff.set_available("bob", True)
        assert "取消" in texts(stack.say("cust2", "找工程师"))
        assert "已取消转人工" in texts(stack.say("cust2", "取消"))
        assert "800-810-1818" in texts(stack.say("cust2", "DB2 热线"))
        assert await services.handoff_repo.get_open("cust2") is None
    finally:
        await db.dispose()


def pushed(apis: FakeAPIs, openid: str) -> list[str]:
    """Customer-service messages the fake WeChat API accepted for ``openid``."""
    return [
        s["body"]["text"]["content"]
        for s in apis.wechat.delivered()
        if s["body"]["touser"] == openid
    ]


async def wait_pushed(apis: FakeAPIs, openid: str, count: int, timeout: float = 30) -> list[str]:
    """Wait (on the fake API's own loop, woken by each call) for ``count`` messages."""
    done = apis.wechat._wait_until(lambda: len(pushed(apis, openid)) >= count, timeout)
    await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(done, apis.loop))
    return pushed(apis, openid)


async def first_event_with(http: aiohttp.ClientSession, path: str, text: str) -> str:
    """Read the desk's server-sent events at ``path`` until one carries ``text``."""
    async with http.get(path) as stream:
        assert stream.status == 200
        async for line in stream.content:
            decoded = line.decode("utf-8")
            if decoded.startswith("data: ") and text in decoded:
                return decoded
    raise AssertionError(f"stream {path} ended without {text!r}")


async def test_handoff_over_wechat_through_the_desk(
    stack: Stack, wechat_api: FakeAPIs, desk_url: str
) -> None:
    db = Database(stack.db_url)
    services = desk(stack, db)
    site = Desk(desk_url, services)
    await site.add_staff("wendy", "agent")
    http, csrf = await site.client("wendy")
    user = WeChatUser(stack.rasa_port, wechat_api, OPENID, stack.db_url, safe=False)
    msg_ids = iter(range(int(time.time()) * 1000, int(time.time()) * 1000 + 100))

    def say_muted(text: str) -> str:
        """A message the bot must not answer: the passive reply must be WeChat's 'success'."""
        query, body = user.request(text, str(next(msg_ids)))
        return post(user.url, query, body)

    try:
        async with http.post("/availability", data={"on": "1", "csrf": csrf}) as r:
            assert r.status == 200  # redirected back to the inbox
        queued = await asyncio.to_thread(user.say, "转人工")
        assert "第 1 位" in queued and "取消" in queued
        before = len(pushed(wechat_api, OPENID))  # the queued text when it was pushed

        # The inbox page lists the waiting WeChat conversation with a link to it.
        async with http.get("/") as page:
            inbox = await page.text()
        found = re.search(rf'{OPENID[:12]}.*?href="/handoffs/(\d+)"', inbox, re.S)
        assert found is not None and "微信" in inbox, inbox
        handoff = f"/handoffs/{found.group(1)}"

        reply = "您好，我是工程师 wendy，请发一下报错"
        async with http.post(f"{handoff}/reply", data={"text": reply, "csrf": csrf}) as r:
            assert r.status == 200
        sent = await wait_pushed(wechat_api, OPENID, before + 2)
        assert any("wendy" in t for t in sent[before:]) and sent[-1] == reply

        # The customer writes: the agent's live stream shows it, the bot stays silent.
        watch = asyncio.create_task(first_event_with(http, f"{handoff}/events", "SQL1042C"))
        await asyncio.sleep(0.5)  # the stream is open
        started = time.monotonic()
        assert await asyncio.to_thread(say_muted, "启动报 SQL1042C") == "success"
        assert "SQL1042C" in await asyncio.wait_for(watch, 30)
        print(f"customer message on the agent's stream after {time.monotonic() - started:.2f} s")
        async with http.get(handoff) as page:
            assert "启动报 SQL1042C" in await page.text()

        async with http.post(f"{handoff}/close", data={"csrf": csrf}) as r:
            assert r.status == 200
        sent = await wait_pushed(wechat_api, OPENID, before + 3)
        assert "1–5" in sent[-1]  # the survey, through the customer-service API
        # Nothing from the bot while muted: the agent's two messages and the survey only.
        assert len(sent) == before + 3, sent[before:]
        assert "4 分" in await asyncio.to_thread(user.say, "4 很专业")

        report = json.loads(cli(stack, "report", "--days", "1", "--json"))
        assert report["csat_responses"] >= 1 and report["csat_distribution"]["4"] >= 1
        listed = json.loads(cli(stack, "handoffs", "list", "--status", "closed", "--json"))
        [mine] = [h for h in listed if h["sender_id"] == OPENID]
        assert mine["channel"] == "wechat" and mine["agent"] == "wendy"
    finally:
        await http.close()
        await services.close()
        await db.dispose()


async def test_continuing_the_report_right_after_the_survey(
    stack: Stack, wechat_api: FakeAPIs, desk_url: str
) -> None:
    """A thirteenth blind tester's customer wrote nothing while the agent had the
    conversation; after the survey, "继续报修" (as the close suggests) was "not
    understood" and queued him for a person again."""
    openid = "oPPA_handoff_e2e_0002"
    db = Database(stack.db_url)
    services = desk(stack, db)
    site = Desk(desk_url, services)
    if await services.staff.get("wanda") is None:
        await site.add_staff("wanda", "agent")
    http, csrf = await site.client("wanda")
    user = WeChatUser(stack.rasa_port, wechat_api, openid, stack.db_url, safe=False)
    try:
        async with http.post("/availability", data={"on": "1", "csrf": csrf}) as r:
            assert r.status == 200
        for text in ("我要报修", "赵演示", "演示四公司"):
            await asyncio.to_thread(user.say, text)
        assert "第 1 位" in await asyncio.to_thread(user.say, "先转人工吧")
        before = len(pushed(wechat_api, openid))
        [waiting] = [
            h for h in await services.handoff_repo.list(status="waiting") if h.sender_id == openid
        ]
        handoff = f"/handoffs/{waiting.id}"
        async with http.post(f"{handoff}/reply", data={"text": "您好", "csrf": csrf}) as r:
            assert r.status == 200
        async with http.post(f"{handoff}/close", data={"csrf": csrf}) as r:
            assert r.status == 200
        sent = await wait_pushed(wechat_api, openid, before + 3)
        assert "1–5" in sent[-1] and "继续报修" in sent[-1]
        assert "5 分" in await asyncio.to_thread(user.say, "5 很及时")
        resumed = await asyncio.to_thread(user.say, "继续报修")
        assert "接着刚才的报修" in resumed and "电话" in resumed, resumed
        assert await services.handoff_repo.get_open(openid) is None
    finally:
        await http.close()
        await services.close()
        await db.dispose()
