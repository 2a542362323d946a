"""Desk repositories on SQLite and PostgreSQL: staff, handoff queue, surveys, case desk, report."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from bot.store import Database
from bot.store.case_desk import CaseDeskRepository
from bot.store.cases import CaseRepository, NewCase
from bot.store.handoffs import HandoffRepository, NewHandoff
from bot.store.outbox import OutboxRepository
from bot.store.reports import ReportRepository
from bot.store.staff import AuditRepository, StaffExists, StaffRepository
from bot.store.surveys import SurveyRepository


async def new_case(db: Database, key: str = "k1", at: datetime | None = None, **fields: Any) -> str:
    """An overdue severity-1 DB2 case of a demo customer (``fields`` override), opened now
    or ``at``."""
    values: dict[str, Any] = {
        "idempotency_key": key,
        "severity": 1,
        "product": "DB2",
        "contact_name": "张演示",
        "company": "演示科技有限公司(DEMO)",
        "phone": "13800000001",
        "customer_number": "8800001",
        "contract_number": "PPA-DEMO-0001",
        "channel": "wechat",
        "sender_id": "openid-1",
        "details": {"error_log": "SQL1042C"},
        "response_due_at": datetime.now(timezone.utc) - timedelta(minutes=5),
        **fields,
    }
    clock = (lambda: at) if at is not None else None
    record, _ = await CaseRepository(db, clock=clock).open(NewCase(**values))
    return record.case_id


async def test_staff_accounts(db: Database) -> None:
    staff = StaffRepository(db)
    alice = await staff.add("alice", "agent", "hash-a")
    assert alice.role == "agent" and alice.active and not alice.available
    with pytest.raises(StaffExists):
        await staff.add("alice", "supervisor", "hash-b")
    with pytest.raises(ValueError):
        await staff.add("bob", "boss", "hash")
    assert not await staff.any_available()
    assert await staff.set_available("alice", True)
    assert await staff.any_available()
    assert await staff.set_active("alice", False)
    assert not await staff.any_available()  # disabling also makes unavailable
    assert not await staff.set_available("alice", True)  # and a disabled one cannot come back
    assert not await staff.set_available("nobody", True)
    assert [s.name for s in await staff.list()] == ["alice"]
    assert "password_hash" not in alice.to_dict()


async def test_queue_positions_and_one_open_handoff(db: Database) -> None:
    repo = HandoffRepository(db)
    first, created = await repo.open(NewHandoff("c1", "rest", {"verified": True}))
    second, _ = await repo.open(NewHandoff("c2", "wechat", product="DB2"))
    again, created_again = await repo.open(NewHandoff("c1", "rest"))
    assert created and not created_again and again.id == first.id
    assert [await repo.position(h.id) for h in (first, second)] == [1, 2]
    agent = await StaffRepository(db).add("alice", "agent", "h")
    assert await repo.take(first.id, agent.id)
    assert await repo.take(first.id, agent.id)  # same agent: still hers
    other = await StaffRepository(db).add("bob", "agent", "h")
    assert not await repo.take(first.id, other.id)
    assert await repo.position(second.id) == 1
    active = await repo.get_open("c1")
    assert active is not None and active.status == "active" and active.agent == "alice"
    closed = await repo.close(first.id, "agent")
    assert closed is not None and closed.status == "closed"
    assert await repo.close(first.id, "agent") is None
    reopened, created = await repo.open(NewHandoff("c1", "rest"))
    assert created and reopened.id != first.id
    assert [h.conversation_id for h in await repo.list(status="waiting")] == ["c2", "c1"]


async def test_concurrent_requests_queue_a_conversation_once(db: Database) -> None:
    repo = HandoffRepository(db)
    results = await asyncio.gather(*(repo.open(NewHandoff("c1", "rest")) for _ in range(5)))
    assert sum(created for _, created in results) == 1
    assert len({h.id for h, _ in results}) == 1


async def test_messages_pending_delivery_and_version(db: Database) -> None:
    repo = HandoffRepository(db)
    handoff, _ = await repo.open(NewHandoff("c1", "rest"))
    before = await repo.version()
    await repo.add_message(handoff.id, "customer", "还在吗")
    assert await repo.version() != before
    await repo.add_message(handoff.id, "agent", "在的", delivery="pending")
    loaded = await repo.get(handoff.id)
    assert loaded is not None and loaded.last_customer_message == "还在吗"
    pending = await repo.take_pending("c1")
    assert [p.text for p in pending] == ["在的"]
    assert await repo.take_pending("c1") == []
    assert [m.author for m in await repo.messages(handoff.id)] == ["customer", "agent"]
    assert [m.text for m in await repo.messages(handoff.id, after_id=pending[0].id - 1)] == ["在的"]


async def test_turn_state_is_the_latest_handoff_and_whether_messages_wait(db: Database) -> None:
    repo = HandoffRepository(db)
    assert await repo.turn_state("c1") == (None, False)
    await repo.add_outside("c1", "您的案例已更新", None, "pending")  # outside any handoff
    assert await repo.turn_state("c1") == (None, True)
    assert await repo.turn_state("c2") == (None, False)  # another conversation's is not ours
    await repo.take_pending("c1")
    assert await repo.turn_state("c1") == (None, False)
    first, _ = await repo.open(NewHandoff("c1", "rest"))
    await repo.close(first.id, "resolved")
    second, _ = await repo.open(NewHandoff("c1", "rest"))
    await repo.add_message(second.id, "agent", "在的", delivery="pending")
    latest, waiting = await repo.turn_state("c1")
    assert latest == await repo.latest("c1") and latest is not None
    assert latest.id == second.id and waiting


async def test_survey_answer_and_expiry(db: Database) -> None:
    repo = HandoffRepository(db)
    handoff, _ = await repo.open(NewHandoff("c1", "rest"))
    closed = await repo.close(handoff.id, "agent")
    assert closed is not None
    now = datetime.now(timezone.utc)
    survey = await SurveyRepository(db).ask(closed, now + timedelta(minutes=30))
    assert (await SurveyRepository(db).open("c1", now)) == survey
    assert await SurveyRepository(db).open("c1", now + timedelta(hours=1)) is None  # expired
    assert await SurveyRepository(db).finish(survey.id, 4, "很好")
    assert not await SurveyRepository(db).finish(survey.id, 5)
    assert await SurveyRepository(db).open("c1", now) is None


async def test_case_desk_status_writes_note_and_outbox(db: Database) -> None:
    case_id = await new_case(db)
    case = await CaseRepository(db).get(case_id)
    assert case is not None
    desk = CaseDeskRepository(db)
    agent = await StaffRepository(db).add("alice", "agent", "h")
    assert (await desk.state(case_id)).desk_status == "待受理"
    overdue = await desk.queue(overdue_at=datetime.now(timezone.utc))
    assert [row.case_id for row in overdue] == [case_id]
    await desk.change(case, agent.id, kind="assign", assignee_id=agent.id)
    state = await desk.change(
        case,
        agent.id,
        kind="status",
        desk_status="已解决",
        text="补丁已提供",
        notify_urls=["http://127.0.0.1:9/hook"],
    )
    assert state.desk_status == "已解决" and state.assignee == "alice"
    with pytest.raises(ValueError):
        await desk.change(case, agent.id, kind="status", desk_status="done")
    notes = await desk.notes(case_id)
    assert [n.kind for n in notes] == ["assign", "status"]
    assert notes[-1].text == "已解决：补丁已提供"  # the history names the status
    assert await desk.queue(overdue_at=datetime.now(timezone.utc)) == []  # resolved: not overdue
    assert [r.case_id for r in await desk.queue(desk_status="已解决", severity=1)] == [case_id]
    outbox = await OutboxRepository(db).due(datetime.now(timezone.utc) + timedelta(seconds=1), 10)
    updated = [item.payload for item in outbox if item.payload["event"] == "case.updated"]
    assert updated and updated[0]["desk_status"] == "已解决"
    assert updated[0]["note"] == "补丁已提供"  # the note as staff wrote it


async def test_audit_log_and_report(db: Database) -> None:
    audit = AuditRepository(db)
    await audit.record("alice", "view_case", "PMR-1")
    await audit.record("bob", "view_transcript", "c1")
    assert [(a.staff_name, a.action) for a in await audit.recent()] == [
        ("bob", "view_transcript"),
        ("alice", "view_case"),
    ]
    await new_case(db)
    repo = HandoffRepository(db)
    handoff, _ = await repo.open(NewHandoff("c1", "rest"))
    closed = await repo.close(handoff.id, "agent")
    assert closed is not None
    survey = await SurveyRepository(db).ask(
        closed, datetime.now(timezone.utc) + timedelta(minutes=5)
    )
    await SurveyRepository(db).finish(survey.id, 4)
    report = await ReportRepository(db).report(datetime.now(timezone.utc) - timedelta(days=1))
    assert report.cases_opened == 1 and report.cases_by_severity == {"1": 1}
    assert report.handoffs == 1 and report.csat_responses == 1 and report.csat_average == 4
    assert report.csat_distribution["4"] == 1
    assert report.conversations == 0 and report.fallback_rate is None  # no Rasa table yet


async def test_report_groups_cases_by_day_severity_and_product(db: Database) -> None:
    # Five cases on three UTC days (two at 23:30 UTC: the day is the UTC date), one too
    # old; the grouping is the database's, so SQLite and PostgreSQL must both count it.
    now = datetime.now(timezone.utc).replace(hour=23, minute=30, second=0, microsecond=0)
    opened = [
        (now - timedelta(days=2), 1, "MQ"),
        (now - timedelta(days=1), 2, "DB2"),
        (now - timedelta(days=1, hours=1), 2, "DB2"),
        (now, 3, "Cognos Analytics"),
        (now, 2, "MQ"),
        (now - timedelta(days=40), 1, "DB2"),
    ]
    for n, (at, severity, product) in enumerate(opened):
        repo = CaseRepository(db, clock=lambda at=at: at)
        await repo.open(
            NewCase(
                idempotency_key=f"r{n}",
                severity=severity,
                product=product,
                contact_name="张演示",
                company="演示科技有限公司(DEMO)",
                phone="13800000001",
                customer_number=None,
                contract_number=None,
                channel="rest",
                sender_id=f"s{n}",
                details={},
                response_due_at=at + timedelta(hours=2),
            )
        )
    report = await ReportRepository(db).report(now - timedelta(days=3))
    assert report.cases_opened == 5
    assert report.cases_by_severity == {"1": 1, "2": 3, "3": 1}
    assert list(report.cases_by_product.items()) == [
        ("DB2", 2),
        ("MQ", 2),
        ("Cognos Analytics", 1),
    ]
    days = [(now - timedelta(days=d)).date().isoformat() for d in (3, 2, 1, 0)]
    # Every day of the period, the empty first one too: a chart shows the gaps.
    assert report.cases_per_day == dict(zip(days, (0, 1, 2, 2), strict=True))
    assert report.cases_per_day_by_severity == {
        days[0]: {"1": 0, "2": 0, "3": 0},
        days[1]: {"1": 1, "2": 0, "3": 0},
        days[2]: {"1": 0, "2": 2, "3": 0},
        days[3]: {"1": 0, "2": 1, "3": 1},
    }
    assert report.cases_per_day_by_product[days[3]] == {
        "DB2": 0,
        "MQ": 1,
        "Cognos Analytics": 1,
    }
    assert report.conversations_per_day == dict.fromkeys(days, 0)  # no Rasa table yet


async def test_report_sums_products_past_the_top_five_per_day(db: Database) -> None:
    now = datetime.now(timezone.utc)
    products = ["DB2", "DB2", "MQ", "MQ", "Informix", "AIX", "Maximo", "Notes", "FileNet"]
    for n, product in enumerate(products):
        await new_case(db, f"p{n}", product=product, severity=3)
    report = await ReportRepository(db).report(now - timedelta(hours=1))
    today = now.date().isoformat()
    # Top five by count, then by name; the other two products are one series.
    assert report.cases_per_day_by_product[today] == {
        "DB2": 2,
        "MQ": 2,
        "AIX": 1,
        "FileNet": 1,
        "Informix": 1,
        "其他": 2,
    }


async def test_report_counts_conversations_per_utc_day(db: Database) -> None:
    from tests.desk.test_transcript_export import add_events

    midnight = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    yesterday = midnight - timedelta(days=1)
    # a: both days (23:59:30 and 00:00:30 UTC); b: twice yesterday; c: today; d: too old.
    await add_events(
        db,
        [
            ("a", "user", yesterday + timedelta(hours=23, minutes=59, seconds=30)),
            ("a", "bot", yesterday + timedelta(hours=23, minutes=59, seconds=31)),
            ("a", "user", midnight + timedelta(seconds=30)),
            ("b", "user", yesterday + timedelta(hours=1)),
            ("b", "user", yesterday + timedelta(hours=2)),
            ("c", "user", midnight + timedelta(minutes=1)),
            ("d", "user", midnight - timedelta(days=5)),
        ],
    )
    report = await ReportRepository(db).report(yesterday, until=midnight + timedelta(minutes=2))
    assert report.conversations == 3 and report.user_messages == 5
    assert report.conversations_per_day == {
        yesterday.date().isoformat(): 2,
        midnight.date().isoformat(): 2,
    }


async def test_a_case_put_back_to_new_is_in_the_new_cases(db: Database) -> None:
    """A reopened case (or one the customer answered) is 待受理 again, for the filter too."""
    from bot.store.case_desk import NEW_DESK_STATUS, CaseDeskRepository
    from bot.store.cases import CaseRepository

    desk = CaseDeskRepository(db)
    untouched = await new_case(db, "new-1")
    back = await new_case(db, "new-2")
    worked = await new_case(db, "new-3")
    for case_id, status in ((back, NEW_DESK_STATUS), (worked, "受理中")):
        record = await CaseRepository(db).get(case_id)
        assert record is not None
        await desk.change(record, None, kind="status", desk_status=status)
    listed = {c.case_id for c in await desk.queue(desk_status=NEW_DESK_STATUS)}
    assert listed == {untouched, back}


async def test_a_callback_called_back_still_counts_as_a_callback_request(db: Database) -> None:
    """The report counted only the open callback requests (a thirteenth blind tester)."""
    from dataclasses import replace

    repo = HandoffRepository(db)
    done, _ = await repo.open(
        replace(NewHandoff("cb-1", "rest"), callback_phone="13800000001"), status="callback"
    )
    await repo.open(
        replace(NewHandoff("cb-2", "rest"), callback_phone="13800000002"), status="callback"
    )
    await repo.open(NewHandoff("chat-1", "rest"))
    assert await repo.close(done.id, "callback") is not None
    report = await ReportRepository(db).report(datetime.now(timezone.utc) - timedelta(hours=1))
    assert report.callbacks == 2 and report.handoffs == 1
