"""bot.store.contracts (and the demo data) on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from bot.catalogue import canonical_products
from bot.store import Database
from bot.store import models as m
from bot.store.contracts import ContractRepository, UpsertResult
from bot.store.demo import DEMO_ACCOUNTS, seed_demo
from tests.store_data import contract, count_rows


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
    assert await count_rows(db, m.Contract) == 0
    assert await count_rows(db, m.Customer) == 0


async def test_contract_upsert_many_rows(db: Database) -> None:
    records = [contract(f"PPA-BULK-{n:05d}") for n in range(1200)]
    assert await ContractRepository(db).upsert_many(records) == UpsertResult(1200, 0)
    assert await ContractRepository(db).upsert_many(records) == UpsertResult(0, 1200)


async def test_seed_demo_is_idempotent_and_relative_to_today(db: Database) -> None:
    today = date(2025, 3, 1)
    records = await seed_demo(db, today)
    assert await seed_demo(db, today) == records
    assert await count_rows(db, m.Contract) == len(DEMO_ACCOUNTS) == 4

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
    assert await count_rows(db, m.Contract) == 4
    stored = await ContractRepository(db).get("PPA-DEMO-0004")
    assert stored is not None and stored.end_date < later
