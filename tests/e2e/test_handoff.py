"""Live handoff end to end over REST: real Rasa (with its HTTP API), action server, database.

Customer asks for a person → queued, bot muted → agent replies (REST: with the
customer's next message) → customer writes, the bot stays silent, the agent sees it →
agent closes (Rasa resumed through its API) → survey → answer 4 → report shows it.
The servers are conftest's shared ``stack`` (its Rasa server has the HTTP API on).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.config import Settings
from bot.desk.config import DeskSettings
from bot.desk.services import DeskServices
from bot.store import Database
from harness.servers import ROOT, Stack

pytestmark = pytest.mark.timeout(1800)


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
    try:
        queued = texts(stack.say("cust1", "转人工"))
        assert "第 1 位" in queued and "取消" in queued
        assert stack.say("cust1", "我的 DB2 起不来了") == []  # the bot is muted
        [handoff] = await services.handoff_repo.list(status="waiting")
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
        assert report["csat_responses"] == 1 and report["csat_average"] == 4
        assert report["handoffs"] == 1 and report["conversations"] >= 1
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
