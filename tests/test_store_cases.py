"""bot.store.cases on SQLite and PostgreSQL: ids, idempotency, events, atomicity."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from bot.store import Database, StoreUnavailable
from bot.store import cases as cases_module
from bot.store import models as m
from bot.store.cases import CaseRepository
from harness.servers import free_port
from tests.store_data import CASE_ID, T0, URLS, TickingClock, count_rows, new_case


async def test_open_case(db: Database) -> None:
    cases = CaseRepository(db, clock=TickingClock())
    record, created = await cases.open(new_case(), notify_urls=URLS)
    assert created
    assert CASE_ID.fullmatch(record.case_id)
    assert record.case_id.startswith("PMR-250303-")
    assert record.status == "open"
    assert record.severity == 2
    assert record.details["error_log"] == "SQL1224N"
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
    assert await count_rows(db, m.Case) == 1
    assert await count_rows(db, m.OutboxMessage) == len(URLS)


async def test_fifty_concurrent_opens_get_fifty_ids(db: Database) -> None:
    cases = CaseRepository(db)
    results = await asyncio.gather(*(cases.open(new_case(f"key-{n}")) for n in range(50)))
    ids = {record.case_id for record, _ in results}
    assert len(ids) == 50
    assert all(created for _, created in results)
    assert all(CASE_ID.fullmatch(case_id) for case_id in ids)
    assert await count_rows(db, m.Case) == 50


async def test_twenty_concurrent_opens_with_one_key_give_one_case(db: Database) -> None:
    cases = CaseRepository(db)
    results = await asyncio.gather(
        *(cases.open(new_case("same-key"), notify_urls=URLS[:1]) for _ in range(20))
    )
    assert len({record.case_id for record, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert await count_rows(db, m.Case) == 1
    assert await count_rows(db, m.CaseEvent) == 1
    assert await count_rows(db, m.OutboxMessage) == 1


def _suffixes(values: list[int]) -> Iterator[int]:
    yield from values


async def test_case_id_collision_draws_again(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    draws = _suffixes([7, 7, 8])
    monkeypatch.setattr(cases_module, "_random_suffix", lambda: next(draws))
    cases = CaseRepository(db, clock=lambda: T0)
    first, _ = await cases.open(new_case("a"))
    second, _ = await cases.open(new_case("b"))
    assert (first.case_id, second.case_id) == ("PMR-250303-0007", "PMR-250303-0008")


async def test_no_free_case_id_writes_nothing(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cases_module, "_random_suffix", lambda: 7)
    cases = CaseRepository(db, clock=lambda: T0)
    await cases.open(new_case("a"))
    with pytest.raises(RuntimeError, match="no free case id"):
        await cases.open(new_case("b"), notify_urls=URLS)
    assert await count_rows(db, m.Case) == 1
    assert await count_rows(db, m.OutboxMessage) == 0


async def test_failure_mid_transaction_leaves_no_case_and_no_outbox(db: Database) -> None:
    cases = CaseRepository(db)
    # The second outbox row violates NOT NULL after the case, its event and one row were written.
    with pytest.raises(IntegrityError):
        await cases.open(new_case("x"), notify_urls=[URLS[0], None])  # type: ignore[list-item]
    assert await count_rows(db, m.Case) == 0
    assert await count_rows(db, m.CaseEvent) == 0
    assert await count_rows(db, m.OutboxMessage) == 0
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
    assert await count_rows(db, m.Case) == 0
    assert await count_rows(db, m.OutboxMessage) == 0


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
    assert await count_rows(db, m.Case) == 0


async def test_case_store_unavailable() -> None:
    database = Database(f"postgresql://postgres@127.0.0.1:{free_port()}/ppa")
    with pytest.raises(StoreUnavailable):
        await CaseRepository(database).open(new_case())
    await database.dispose()


async def test_logs_mask_phone(db: Database, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.store")
    record, _ = await CaseRepository(db).open(new_case())
    assert record.case_id in caplog.text
    assert "138****0101" in caplog.text
    assert "13800000101" not in caplog.text and "wang@example.com" not in caplog.text
