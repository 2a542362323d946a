"""bot.store.repositories on SQLite and PostgreSQL: contracts, cases, events, outbox."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.catalogue import canonical_products
from bot.store import Database, StoreUnavailable, repositories
from bot.store import models as m
from bot.store.demo import DEMO_ACCOUNTS, seed_demo
from bot.store.repositories import (
    CaseRepository,
    ContractRecord,
    ContractRepository,
    NewCase,
    OutboxRepository,
    UpsertResult,
)
from harness.servers import free_port

CASE_ID = re.compile(r"PMR-\d{6}-\d{4}")
T0 = datetime(2025, 3, 3, 1, 0, tzinfo=timezone.utc)  # 09:00 in Shanghai
URLS = ("https://hooks.example.com/a", "https://hooks.example.com/b")


class TickingClock:
    """A clock that advances one second per reading, so event order is well defined."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def contract(number: str = "PPA-T-0001", **changes: Any) -> ContractRecord:
    record = ContractRecord(
        customer_number="8800101",
        contract_number=number,
        company="测试有限公司(TEST)",
        contact_name="王测试",
        contact_email="wang@example.com",
        contact_phone="13800000101",
        start_date=date(2025, 1, 1),
        end_date=date(2026, 1, 1),
        products=["DB2", "Informix"],
    )
    return replace(record, **changes)


def new_case(key: str = "conv-1", **changes: Any) -> NewCase:
    case = NewCase(
        idempotency_key=key,
        severity=2,
        product="DB2",
        contact_name="王测试",
        company="测试有限公司(TEST)",
        phone="13800000101",
        customer_number="8800101",
        contract_number="PPA-T-0001",
        channel="rest",
        sender_id="user-1",
        details={"version": "11.5.8", "os": "AIX 7.2", "error": "SQL1224N"},
        response_due_at=T0 + timedelta(hours=2),
        email="wang@example.com",
    )
    return replace(case, **changes)


async def _count(db: Database, model: Any) -> int:
    async with db.transaction() as session:
        total: int = (await session.execute(select(func.count()).select_from(model))).scalar_one()
        return total


# -- contracts ----------------------------------------------------------------------


async def test_contract_upsert_get_and_update(db: Database) -> None:
    contracts = ContractRepository(db)
    result = await contracts.upsert_many([contract(), contract("ppa-t-0002")])
    assert result == UpsertResult(inserted=2, updated=0)

    found = await contracts.get(" ppa-t-0001 ")
    assert found == contract()
    assert (await contracts.get("ＰＰＡ－Ｔ－０００２")) is not None  # full width
    assert await contracts.get("PPA-NOPE") is None
    assert await contracts.get("  ") is None

    changed = contract(company="改名有限公司(TEST)", products=["Cognos"], end_date=date(2027, 1, 1))
    assert await contracts.upsert_many([changed]) == UpsertResult(inserted=0, updated=1)
    assert await contracts.get("PPA-T-0001") == changed
    async with db.transaction() as session:
        customer = await session.get(m.Customer, "8800101")
        assert customer.company == "改名有限公司(TEST)"


async def test_contracts_for_customer(db: Database) -> None:
    contracts = ContractRepository(db)
    await contracts.upsert_many(
        [
            contract("PPA-T-0001", end_date=date(2025, 6, 1)),
            contract("PPA-T-0002", end_date=date(2027, 6, 1)),
            contract("PPA-T-0003", customer_number="8800999"),
        ]
    )
    mine = await contracts.for_customer(" 8800101 ")
    assert [c.contract_number for c in mine] == ["PPA-T-0002", "PPA-T-0001"]
    assert await contracts.for_customer("0000000") == []


async def test_contract_upsert_is_all_or_nothing(db: Database) -> None:
    contracts = ContractRepository(db)
    bad = contract("PPA-T-0002", start_date=date(2025, 1, 1), end_date=date(2024, 1, 1))
    with pytest.raises(IntegrityError):
        await contracts.upsert_many([contract(), bad])
    assert await _count(db, m.Contract) == 0
    assert await _count(db, m.Customer) == 0


async def test_contract_upsert_many_rows(db: Database) -> None:
    records = [contract(f"PPA-BULK-{n:05d}") for n in range(1200)]
    assert await ContractRepository(db).upsert_many(records) == UpsertResult(1200, 0)
    assert await ContractRepository(db).upsert_many(records) == UpsertResult(0, 1200)


# -- cases --------------------------------------------------------------------------


async def test_open_case(db: Database) -> None:
    cases = CaseRepository(db, clock=TickingClock())
    record, created = await cases.open(new_case(), notify_urls=URLS)
    assert created
    assert CASE_ID.fullmatch(record.case_id)
    assert record.case_id.startswith("PMR-250303-")
    assert record.status == "open"
    assert record.severity == 2
    assert record.details["error"] == "SQL1224N"
    assert record.email == "wang@example.com"
    assert record.response_due_at == T0 + timedelta(hours=2)
    assert record.created_at.tzinfo is not None
    assert [e.kind for e in record.events] == ["opened"]
    assert await cases.get(record.case_id) == record


async def test_case_id_date_is_shanghai_date(db: Database) -> None:
    late_utc = datetime(2025, 1, 1, 17, 30, tzinfo=timezone.utc)  # 01:30 on 2 Jan in Shanghai
    record, _ = await CaseRepository(db).open(new_case(created_at=late_utc))
    assert record.case_id.startswith("PMR-250102-")
    assert record.created_at == late_utc


async def test_same_key_twice_gives_one_case(db: Database) -> None:
    cases = CaseRepository(db)
    first, created_first = await cases.open(new_case("k"), notify_urls=URLS)
    second, created_second = await cases.open(new_case("k", product="Informix"), notify_urls=URLS)
    assert (created_first, created_second) == (True, False)
    assert second == first
    assert await _count(db, m.Case) == 1
    assert await _count(db, m.OutboxMessage) == len(URLS)


async def test_fifty_concurrent_opens_get_fifty_ids(db: Database) -> None:
    cases = CaseRepository(db)
    results = await asyncio.gather(*(cases.open(new_case(f"key-{n}")) for n in range(50)))
    ids = {record.case_id for record, _ in results}
    assert len(ids) == 50
    assert all(created for _, created in results)
    assert all(CASE_ID.fullmatch(case_id) for case_id in ids)
    assert await _count(db, m.Case) == 50


async def test_twenty_concurrent_opens_with_one_key_give_one_case(db: Database) -> None:
    cases = CaseRepository(db)
    results = await asyncio.gather(
        *(cases.open(new_case("same-key"), notify_urls=URLS[:1]) for _ in range(20))
    )
    assert len({record.case_id for record, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert await _count(db, m.Case) == 1
    assert await _count(db, m.CaseEvent) == 1
    assert await _count(db, m.OutboxMessage) == 1


def _suffixes(values: list[int]) -> Iterator[int]:
    yield from values


async def test_case_id_collision_draws_again(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    draws = _suffixes([7, 7, 8])
    monkeypatch.setattr(repositories, "_random_suffix", lambda: next(draws))
    cases = CaseRepository(db, clock=lambda: T0)
    first, _ = await cases.open(new_case("a"))
    second, _ = await cases.open(new_case("b"))
    assert (first.case_id, second.case_id) == ("PMR-250303-0007", "PMR-250303-0008")


async def test_no_free_case_id_writes_nothing(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repositories, "_random_suffix", lambda: 7)
    cases = CaseRepository(db, clock=lambda: T0)
    await cases.open(new_case("a"))
    with pytest.raises(RuntimeError, match="no free case id"):
        await cases.open(new_case("b"), notify_urls=URLS)
    assert await _count(db, m.Case) == 1
    assert await _count(db, m.OutboxMessage) == 0


async def test_failure_mid_transaction_leaves_no_case_and_no_outbox(db: Database) -> None:
    cases = CaseRepository(db)
    # The second outbox row violates NOT NULL after the case, its event and one row were written.
    with pytest.raises(IntegrityError):
        await cases.open(new_case("x"), notify_urls=[URLS[0], None])  # type: ignore[list-item]
    assert await _count(db, m.Case) == 0
    assert await _count(db, m.CaseEvent) == 0
    assert await _count(db, m.OutboxMessage) == 0
    record, created = await cases.open(new_case("x"), notify_urls=URLS)
    assert created and record.case_id


async def test_python_error_mid_transaction_leaves_nothing(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = CaseRepository(db)

    async def broken_load(*args: Any) -> None:
        raise RuntimeError("crash after the case row was written")

    monkeypatch.setattr(CaseRepository, "_load", broken_load)
    with pytest.raises(RuntimeError, match="crash"):
        await cases.open(new_case("y"), notify_urls=URLS)
    monkeypatch.undo()
    assert await _count(db, m.Case) == 0
    assert await _count(db, m.OutboxMessage) == 0


async def test_outbox_rows_are_written_with_the_case(db: Database) -> None:
    record, _ = await CaseRepository(db, clock=lambda: T0).open(new_case(), notify_urls=URLS)
    due = await OutboxRepository(db).due(T0, limit=10)
    assert [item.target_url for item in due] == list(URLS)
    assert all(item.case_id == record.case_id for item in due)
    assert all(item.status == "pending" and item.attempts == 0 for item in due)
    assert due[0].payload == {"event": "case.opened", "case": record.to_dict()}


async def test_event_history_order_and_status(db: Database) -> None:
    cases = CaseRepository(db, clock=TickingClock())
    record, _ = await cases.open(new_case())
    after_info = await cases.add_event(record.case_id, "info_added", "补充日志")
    assert after_info is not None and after_info.status == "open"
    escalated = await cases.add_event(record.case_id.lower().replace("-", ""), "escalated", "升级")
    assert escalated is not None and escalated.status == "escalated"
    closed = await cases.add_event(record.case_id, "closed", "已解决")
    assert closed is not None and closed.status == "closed"

    stored = await cases.get(record.case_id)
    assert stored is not None
    assert [(e.kind, e.note) for e in stored.events] == [
        ("opened", ""),
        ("info_added", "补充日志"),
        ("escalated", "升级"),
        ("closed", "已解决"),
    ]
    times = [e.created_at for e in stored.events]
    assert times == sorted(times)


async def test_events_at_the_same_instant_keep_insertion_order(db: Database) -> None:
    cases = CaseRepository(db, clock=lambda: T0)
    record, _ = await cases.open(new_case())
    for n in range(5):
        await cases.add_event(record.case_id, "info_added", f"note {n}")
    stored = await cases.get(record.case_id)
    assert stored is not None
    assert [e.note for e in stored.events[1:]] == [f"note {n}" for n in range(5)]


async def test_add_event_edge_cases(db: Database) -> None:
    cases = CaseRepository(db)
    assert await cases.add_event("PMR-250303-9999", "info_added", "x") is None
    assert await cases.add_event("garbage", "info_added", "x") is None
    with pytest.raises(ValueError):
        await cases.add_event("PMR-250303-9999", "opened", "x")
    with pytest.raises(ValueError):
        await cases.add_event("PMR-250303-9999", "deleted", "x")


async def test_get_accepts_any_spelling(db: Database) -> None:
    cases = CaseRepository(db)
    record, _ = await cases.open(new_case())
    compact = record.case_id.replace("-", "")
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in compact)
    for spelling in (record.case_id.lower(), compact, f" {compact[:3]} {compact[3:]} ", fullwidth):
        found = await cases.get(spelling)
        assert found is not None and found.case_id == record.case_id
    assert await cases.get("PMR-000000-0000") is None
    assert await cases.get("not an id") is None


async def test_list_filters_and_orders(db: Database) -> None:
    cases = CaseRepository(db, clock=TickingClock())
    opened = [(await cases.open(new_case(f"k{n}")))[0] for n in range(3)]
    await cases.add_event(opened[1].case_id, "closed", "done")
    everything = await cases.list()
    assert [c.case_id for c in everything] == [c.case_id for c in reversed(opened)]
    assert [c.case_id for c in await cases.list(status="closed")] == [opened[1].case_id]
    assert len(await cases.list(status="open")) == 2
    assert len(await cases.list(limit=1)) == 1
    assert all(c.events for c in everything)
    with pytest.raises(ValueError):
        await cases.list(status="bogus")


async def test_long_error_log_is_stored_whole(db: Database) -> None:
    log = ("SQL1224N 数据库管理器不能接受新请求。\n" * 1500)[:30_000]
    assert len(log) == 30_000
    cases = CaseRepository(db)
    record, _ = await cases.open(new_case(details={"error_log": log}))
    stored = await cases.get(record.case_id)
    assert stored is not None and stored.details["error_log"] == log
    await cases.add_event(record.case_id, "info_added", log)
    stored = await cases.get(record.case_id)
    assert stored is not None and stored.events[-1].note == log


async def test_to_dict_is_json_with_iso_dates(db: Database) -> None:
    record, _ = await CaseRepository(db).open(new_case())
    data = json.loads(json.dumps(record.to_dict(), ensure_ascii=False))
    required = {
        "case_id", "status", "severity", "product", "customer_number", "contract_number",
        "contact_name", "company", "phone", "channel", "sender_id", "created_at",
        "response_due_at", "details", "events",
    }  # fmt: skip
    assert required <= set(data)
    assert datetime.fromisoformat(data["response_due_at"]) == T0 + timedelta(hours=2)
    assert data["details"]["os"] == "AIX 7.2"
    assert data["events"][0]["kind"] == "opened"


async def test_response_due_in_local_time_round_trips(db: Database) -> None:
    shanghai = timezone(timedelta(hours=8))
    due = datetime(2025, 3, 3, 11, 0, tzinfo=shanghai)
    record, _ = await CaseRepository(db).open(new_case(response_due_at=due))
    assert record.response_due_at == due
    assert record.response_due_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "changes",
    [
        {"severity": 0},
        {"severity": 4},
        {"idempotency_key": ""},
        {"response_due_at": datetime(2025, 1, 1, 12, 0)},
        {"created_at": datetime(2025, 1, 1, 12, 0)},
    ],
)
async def test_bad_new_case_is_refused(db: Database, changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        await CaseRepository(db).open(new_case(**changes))
    assert await _count(db, m.Case) == 0


async def test_case_store_unavailable() -> None:
    database = Database(f"postgresql://postgres@127.0.0.1:{free_port()}/ppa")
    with pytest.raises(StoreUnavailable):
        await CaseRepository(database).open(new_case())
    await database.dispose()


# -- outbox -------------------------------------------------------------------------


async def test_outbox_retry_cycle(db: Database) -> None:
    await CaseRepository(db, clock=lambda: T0).open(new_case(), notify_urls=URLS)
    outbox = OutboxRepository(db)
    first, second = await outbox.due(T0, limit=10)
    assert [i.id for i in await outbox.due(T0, limit=1)] == [first.id]
    assert await outbox.due(T0 - timedelta(seconds=1), limit=10) == []

    retry_at = T0 + timedelta(minutes=5)
    assert await outbox.mark_failed(first.id, "HTTP 503", retry_at)
    assert await outbox.mark_delivered(second.id, T0)
    assert await outbox.due(T0, limit=10) == []

    (again,) = await outbox.due(retry_at, limit=10)
    assert (again.id, again.status, again.attempts, again.last_error) == (
        first.id, "failed", 1, "HTTP 503",
    )  # fmt: skip
    assert await outbox.mark_failed(first.id, "HTTP 500", None)  # give up
    assert await outbox.due(retry_at + timedelta(days=365), limit=10) == []
    assert not await outbox.mark_delivered(999_999, T0)

    async with db.transaction() as session:
        rows = {r.id: r for r in (await session.execute(select(m.OutboxMessage))).scalars()}
    assert rows[first.id].attempts == 2 and rows[first.id].next_attempt_at is None
    assert rows[second.id].status == "delivered" and rows[second.id].delivered_at == T0


async def test_logs_mask_phone(db: Database, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.store")
    record, _ = await CaseRepository(db).open(new_case())
    assert record.case_id in caplog.text
    assert "138****0101" in caplog.text
    assert "13800000101" not in caplog.text and "wang@example.com" not in caplog.text


# -- demo data ----------------------------------------------------------------------


async def test_seed_demo_is_idempotent_and_relative_to_today(db: Database) -> None:
    today = date(2025, 3, 1)
    records = await seed_demo(db, today)
    assert await seed_demo(db, today) == records
    assert await _count(db, m.Contract) == len(DEMO_ACCOUNTS) == 4

    month = today + timedelta(days=30)
    assert len([r for r in records if r.start_date <= today and r.end_date > month]) == 2
    assert len([r for r in records if today <= r.end_date <= month]) == 1
    assert len([r for r in records if r.end_date < today]) == 1
    products = {r.contract_number: set(r.products) for r in records}
    assert {"DB2", "WebSphere Application Server", "WebSphere MQ", "Informix"} <= products[
        "PPA-DEMO-0001"
    ]
    assert {"Cognos", "Rational", "FileNet", "Notes", "Domino"} <= products["PPA-DEMO-0002"]
    for record in records:
        assert canonical_products(record.products) == record.products
        assert "(DEMO)" in record.company
        assert record.contact_email.endswith("@example.com")
        assert record.contact_phone.startswith("1380000")
        assert re.fullmatch(r"\d{7}", record.customer_number)

    later = today + timedelta(days=100)
    await seed_demo(db, later)
    assert await _count(db, m.Contract) == 4
    stored = await ContractRepository(db).get("PPA-DEMO-0004")
    assert stored is not None and stored.end_date < later
