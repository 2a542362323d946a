"""Bulk data for the desk benchmark: cases, Rasa tracker events, handoffs, surveys.

Rows are built as plain dicts (deterministic for a seed, so the unit tests can count
them) and written with one ``executemany`` per table through the store's own table
definitions and Rasa's own ``events`` table: seconds, not 10 000 HTTP calls.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, insert

from bot.store import models as m
from bot.store.cases import CASE_ID_DIGITS, CASE_ID_PREFIX

PRODUCTS = ("DB2", "WebSphere Application Server", "WebSphere MQ", "Informix", "DataStage")
CHANNELS = ("rest", "wechat", "weibo", "signed_webhook")
SPAN = timedelta(days=30)  # cases and conversations spread over the reports' default period
RESPONSE = timedelta(hours=2)  # the guide's response rule
FALLBACK_SHARE = 0.05
# One conversation's tracker: session start, then user / bot turns with the actions between.
TURN_TYPES = ("action", "session_started", "action", "user", "action", "bot")
OPEN_HANDOFFS = {"waiting": 30, "active": 20, "callback": 10}
MESSAGES_PER_HANDOFF = 5


@dataclass
class Plan:
    """How much to seed."""

    cases: int = 10_000
    events: int = 100_000
    handoffs: int = 2_000
    seed: int = 12


@dataclass
class Seeded:
    """What was written: rows per table, and ids the measurements pick from."""

    rows: dict[str, int] = field(default_factory=dict)
    case_ids: list[str] = field(default_factory=list)
    handoff_ids: dict[str, list[int]] = field(default_factory=dict)
    conversations: dict[int, str] = field(default_factory=dict)  # handoff id → conversation


def conversation_id(i: int) -> str:
    """The conversation of case ``i`` (one conversation per case)."""
    return f"bench-conv-{i:06d}"


def case_rows(plan: Plan, now: datetime, rng: random.Random) -> list[dict[str, Any]]:
    """``plan.cases`` cases over the last 30 days, every status, severity and product."""
    rows = []
    per_day: Counter[str] = Counter()
    for i in range(plan.cases):
        created = now - SPAN * rng.random()
        day = f"{created:%y%m%d}"
        per_day[day] += 1  # the store's id format: PMR-<day>-<4 digits>
        severity = rng.choices(m.SEVERITIES, (1, 3, 4))[0]
        rows.append(
            {
                "case_id": f"{CASE_ID_PREFIX}-{day}-{per_day[day]:0{CASE_ID_DIGITS}d}",
                "idempotency_key": f"bench-{i}",
                "status": rng.choices(m.CASE_STATUSES, (6, 1, 3))[0],
                "severity": severity,
                "product": rng.choice(PRODUCTS),
                "customer_number": f"C{i % 500:05d}",
                "contract_number": f"PPA-BENCH-{i % 500:04d}",
                "contact_name": f"联系人{i}",
                "company": f"演示公司{i % 500}",
                "phone": f"138{i:08d}",
                "email": f"user{i}@example.com",
                "channel": rng.choice(CHANNELS),
                "sender_id": conversation_id(i),
                "details": {"error_log": "SQL1042C 启动失败", "environment": "AIX 7.2"},
                "created_at": created,
                "response_due_at": created + (timedelta(0) if severity == 1 else RESPONSE),
            }
        )
    return rows


def event_rows(plan: Plan, cases: list[dict[str, Any]], rng: random.Random) -> Iterator[dict]:
    """``plan.events`` tracker events spread over the cases' conversations, in turn order."""
    per_conversation, extra = divmod(plan.events, max(len(cases), 1))
    for i, case in enumerate(cases):
        stamp = case["created_at"].timestamp()
        for n in range(per_conversation + (1 if i < extra else 0)):
            kind = TURN_TYPES[n % len(TURN_TYPES)] if n < len(TURN_TYPES) else TURN_TYPES[2 + n % 4]
            intent = None
            data: dict[str, Any] = {"event": kind, "timestamp": stamp + n}
            if kind == "user":
                fallback = rng.random() < FALLBACK_SHARE
                intent = "nlu_fallback" if fallback else "report_fault"
                data["text"] = f"看不懂的话 {n % 50}" if fallback else f"DB2 起不来了 {i}-{n}"
            elif kind == "bot":
                data["text"] = f"请问您的姓名？({n})"
            yield {
                "sender_id": case["sender_id"],
                "type_name": kind,
                "timestamp": stamp + n,
                "intent_name": intent,
                "action_name": "action_listen" if kind == "action" else None,
                "data": json.dumps(data, ensure_ascii=False),
            }


def handoff_statuses(count: int) -> list[str]:
    """The open ones the inbox lists (:data:`OPEN_HANDOFFS`), the rest closed."""
    statuses = [s for s, n in OPEN_HANDOFFS.items() for _ in range(n)]
    return (statuses + ["closed"] * count)[:count]


def handoff_rows(plan: Plan, cases: list[dict[str, Any]], agent_id: int) -> list[dict[str, Any]]:
    """One handoff for each of the first ``plan.handoffs`` conversations."""
    rows = []
    for case, status in zip(cases, handoff_statuses(min(plan.handoffs, len(cases))), strict=False):
        asked = case["created_at"] - timedelta(minutes=5)
        taken = asked + timedelta(minutes=3) if status in ("active", "closed") else None
        rows.append(
            {
                "conversation_id": case["sender_id"],
                "channel": case["channel"],
                "status": status,
                "outcome": "agent" if status == "closed" else None,
                "agent_id": agent_id if taken else None,
                "case_id": case["case_id"],
                "product": case["product"],
                "severity": case["severity"],
                "callback_phone": case["phone"] if status == "callback" else None,
                "context": {"reason": "asked", "verified": False},
                "last_customer_message": "还在吗？",
                "requested_at": asked,
                "taken_at": taken,
                "closed_at": asked + timedelta(minutes=30) if status == "closed" else None,
                "updated_at": asked + timedelta(minutes=30),
            }
        )
    return rows


def _insert(conn: Any, table: Any, rows: Any) -> int:
    batch, total = [], 0
    for row in rows:
        batch.append(row)
        if len(batch) == 5_000:
            conn.execute(insert(table), batch)
            total, batch = total + len(batch), []
    if batch:
        conn.execute(insert(table), batch)
        total += len(batch)
    return total


def seed(db_url: str, plan: Plan, now: datetime, staff: dict[str, str]) -> Seeded:
    """Write the plan into a migrated database; ``staff``: name → password hash.

    The first name is the agent who has the seeded handoffs; all are supervisors' peers
    as the role in the name says (``…-agent`` / ``…-supervisor``).
    """
    from rasa.core.tracker_store import SQLTrackerStore  # Rasa's own events table

    rng = random.Random(plan.seed)  # noqa: S311  (reproducible test data)
    out = Seeded()
    engine = create_engine(db_url, future=True)
    try:
        SQLTrackerStore.SQLEvent.__table__.create(engine, checkfirst=True)
        with engine.begin() as conn:
            staff_ids = []
            for name, password_hash in staff.items():
                role = "supervisor" if name.endswith("supervisor") else "agent"
                result = conn.execute(
                    insert(m.Staff.__table__).values(
                        name=name,
                        role=role,
                        password_hash=password_hash,
                        active=True,
                        available=True,
                        created_at=now,
                    )
                )
                staff_ids.append(int(result.inserted_primary_key[0]))
            cases = case_rows(plan, now, rng)
            out.rows["ppa_cases"] = _insert(conn, m.Case.__table__, cases)
            out.case_ids = [c["case_id"] for c in cases]
            out.rows["events"] = _insert(
                conn, SQLTrackerStore.SQLEvent.__table__, event_rows(plan, cases, rng)
            )
            _desk_rows(conn, cases, staff_ids[0], now, rng, out)
            _handoffs(conn, plan, cases, staff_ids[0], out)
    finally:
        engine.dispose()
    return out


def _desk_rows(
    conn: Any,
    cases: list[dict[str, Any]],
    agent_id: int,
    now: datetime,
    rng: random.Random,
    out: Seeded,
) -> None:
    """The bot's "opened" event for every case; desk status and a note for 40 % of them."""
    opened = (
        {"case_pk": i + 1, "kind": "opened", "note": "", "created_at": c["created_at"]}
        for i, c in enumerate(cases)
    )
    out.rows["ppa_case_events"] = _insert(conn, m.CaseEvent.__table__, opened)
    touched = [c for c in cases if rng.random() < 0.4]
    desk = (
        {
            "case_id": c["case_id"],
            "desk_status": rng.choice(m.DESK_CASE_STATUSES),
            "assignee_id": agent_id,
            "stage": 2,
            "updated_at": now,
        }
        for c in touched
    )
    out.rows["ppa_case_desk"] = _insert(conn, m.CaseDesk.__table__, desk)
    notes = (
        {
            "case_id": c["case_id"],
            "staff_id": agent_id,
            "kind": "note",
            "text": "已电话联系",
            "created_at": now,
        }
        for c in touched
    )
    out.rows["ppa_case_notes"] = _insert(conn, m.CaseNote.__table__, notes)


def _handoffs(
    conn: Any, plan: Plan, cases: list[dict[str, Any]], agent_id: int, out: Seeded
) -> None:
    """Handoffs with their messages, and a survey answer for every other closed one."""
    rows = handoff_rows(plan, cases, agent_id)
    out.rows["ppa_handoffs"] = _insert(conn, m.Handoff.__table__, rows)
    # Ids in insertion order: the table was empty (a fresh database).
    for handoff_id, row in enumerate(rows, start=1):
        out.handoff_ids.setdefault(row["status"], []).append(handoff_id)
        out.conversations[handoff_id] = row["conversation_id"]
    messages = (
        {
            "handoff_id": handoff_id,
            "conversation_id": row["conversation_id"],
            "author": "customer" if n % 2 == 0 else "agent",
            "agent_id": None if n % 2 == 0 else agent_id,
            "text": f"第 {n} 条消息",
            "delivery": "none" if n % 2 == 0 else "sent",
            "created_at": row["requested_at"] + timedelta(minutes=n),
        }
        for handoff_id, row in enumerate(rows, start=1)
        for n in range(MESSAGES_PER_HANDOFF)
    )
    out.rows["ppa_handoff_messages"] = _insert(conn, m.HandoffMessage.__table__, messages)
    surveys = (
        {
            "handoff_id": handoff_id,
            "conversation_id": row["conversation_id"],
            "state": "answered",
            "score": 1 + handoff_id % 5,
            "comment": None,
            "asked_at": row["closed_at"],
            "expires_at": row["closed_at"] + timedelta(minutes=30),
            "answered_at": row["closed_at"] + timedelta(minutes=1),
        }
        for handoff_id, row in enumerate(rows, start=1)
        if row["status"] == "closed" and handoff_id % 2 == 0
    )
    out.rows["ppa_csat"] = _insert(conn, m.CsatResponse.__table__, surveys)
