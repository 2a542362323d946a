"""The desk commands of ``python -m bot``, in subprocesses against a real database."""

from __future__ import annotations

import json
import subprocess

from bot.store import Database
from bot.store.handoffs import HandoffRepository, NewHandoff
from tests.test_cli import bot, open_case

# Nothing listens here: resume and channel calls fail fast, which the commands survive.
OFFLINE = {"RASA_URL": "http://127.0.0.1:9"}


def run(db_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return bot(db_url, *args, stdin=stdin, env=OFFLINE)


def ok(db_url: str, *args: str, stdin: str = "") -> str:
    done = run(db_url, *args, stdin=stdin)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_staff_commands(db_url: str) -> None:
    ok(db_url, "staff", "add", "alice", "--role", "agent", stdin="correct horse battery\n")
    assert run(db_url, "staff", "add", "alice", "--role", "agent", stdin="x" * 12).returncode == 1
    short = run(db_url, "staff", "add", "bob", "--role", "agent", stdin="short\n")
    assert short.returncode == 1 and "10" in short.stderr
    assert run(db_url, "staff", "add", "bob", "--role", "boss", stdin="x" * 12).returncode == 2
    ok(db_url, "staff", "available", "alice", "on")
    listed = json.loads(ok(db_url, "staff", "list", "--json"))
    assert listed == [
        {
            "name": "alice",
            "role": "agent",
            "active": True,
            "available": True,
            "created_at": listed[0]["created_at"],
        }
    ]
    ok(db_url, "staff", "disable", "alice")
    assert json.loads(ok(db_url, "staff", "list", "--json"))[0]["available"] is False
    assert run(db_url, "staff", "available", "nobody", "on").returncode == 1


async def test_handoff_reply_close_and_report(db_url: str) -> None:
    ok(db_url, "staff", "add", "alice", "--role", "agent", stdin="correct horse battery\n")
    database = Database(db_url)
    try:
        await HandoffRepository(database).open(NewHandoff("c1", "rest", product="DB2"))
    finally:
        await database.dispose()
    waiting = json.loads(ok(db_url, "handoffs", "list", "--status", "waiting", "--json"))
    assert [(h["conversation_id"], h["status"], h["agent"]) for h in waiting] == [
        ("c1", "waiting", None)
    ]
    assert {"sender_id", "channel", "requested_at", "case_id", "last_customer_message"} <= set(
        waiting[0]
    )
    assert "pending" in ok(db_url, "handoffs", "reply", "c1", "--agent", "alice", "您好")
    active = json.loads(ok(db_url, "handoffs", "list", "--status", "active", "--json"))
    assert active[0]["agent"] == "alice"
    assert run(db_url, "handoffs", "reply", "nope", "--agent", "alice", "x").returncode == 1
    ok(db_url, "handoffs", "close", "c1", "--agent", "alice")
    assert run(db_url, "handoffs", "close", "c1", "--agent", "alice").returncode == 1
    report = json.loads(ok(db_url, "report", "--days", "1", "--json"))
    for key in (
        "conversations",
        "handoffs",
        "containment_rate",
        "cases_opened",
        "csat_responses",
        "csat_average",
        "fallback_rate",
    ):
        assert key in report
    assert report["handoffs"] == 1
    # Per-day series: today and yesterday (``--days 1``), zeros where nothing happened.
    assert len(report["conversations_per_day"]) == 2
    assert set(report["cases_per_day_by_severity"]) == set(report["conversations_per_day"])
    assert set(report["cases_per_day_by_product"]) == set(report["cases_per_day"])

    # A callback is marked done from here too (it stayed in the list for ever).
    database = Database(db_url)
    try:
        callback, _ = await HandoffRepository(database).open(
            NewHandoff("c2", "rest", callback_phone="13800000001"), status="callback"
        )
    finally:
        await database.dispose()
    assert str(callback.id) in ok(db_url, "handoffs", "list", "--status", "callback")
    ok(db_url, "handoffs", "done", str(callback.id), "--agent", "alice")
    assert json.loads(ok(db_url, "handoffs", "list", "--status", "callback", "--json")) == []
    assert run(db_url, "handoffs", "done", str(callback.id), "--agent", "alice").returncode == 1


async def test_cases_set_status(db_url: str) -> None:
    ok(db_url, "staff", "add", "alice", "--role", "agent", stdin="correct horse battery\n")
    case_id = await open_case(db_url, "k1")
    ok(db_url, "cases", "set-status", case_id, "已关闭", "--agent", "alice", "--note", "已修复")
    shown = json.loads(ok(db_url, "cases", "show", case_id, "--json"))
    assert shown["status"] == "closed"
    # Worked again from the desk: the bot no longer calls it closed.
    ok(db_url, "cases", "set-status", case_id, "受理中", "--agent", "alice", "--note", "又复现")
    shown = json.loads(ok(db_url, "cases", "show", case_id, "--json"))
    assert shown["status"] == "open"
    assert [e["kind"] for e in shown["events"]][-2:] == ["closed", "reopened"]
    assert run(db_url, "cases", "set-status", case_id, "done", "--agent", "alice").returncode == 2
    missing = run(db_url, "cases", "set-status", "PMR-000000-0000", "受理中", "--agent", "alice")
    assert missing.returncode == 1
