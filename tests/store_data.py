"""Shared test data for the store tests: a contract, a new case, a clock, a row count."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select

from bot.store import Database
from bot.store.cases import NewCase
from bot.store.contracts import ContractRecord

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
        details={"version": "11.5.8", "os": "AIX 7.2", "error_log": "SQL1224N"},
        response_due_at=T0 + timedelta(hours=2),
        email="wang@example.com",
    )
    return replace(case, **changes)


async def count_rows(db: Database, model: Any) -> int:
    async with db.transaction() as session:
        total: int = (await session.execute(select(func.count()).select_from(model))).scalar_one()
        return total
