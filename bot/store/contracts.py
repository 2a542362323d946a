"""Customers and their PPA contracts: the only SQL about them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from bot.store import models as m
from bot.store.database import Database
from bot.store.records import Clock, JsonRecord, chunks, from_row, utc_now
from bot.validators import normalise_contract_number, normalise_customer_number


@dataclass(frozen=True)
class ContractRecord(JsonRecord):
    """A PPA contract as on the entity contact card."""

    customer_number: str
    contract_number: str
    company: str
    contact_name: str
    contact_email: str
    contact_phone: str
    start_date: date
    end_date: date
    products: list[str]


@dataclass(frozen=True)
class UpsertResult:
    """How many contracts an upsert created and how many it changed."""

    inserted: int
    updated: int


def _upsert(backend: str, model: Any, key: str, rows: list[dict[str, Any]]) -> Any:
    dialect_insert = postgresql.insert if backend == "postgresql" else sqlite.insert
    stmt = dialect_insert(model)
    columns = [name for name in rows[0] if name != key]
    return stmt.on_conflict_do_update(
        index_elements=[key], set_={name: stmt.excluded[name] for name in columns}
    )


class ContractRepository:
    """Customers and their contracts."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        """Work on ``db``; ``clock`` stamps ``updated_at``."""
        self._db = db
        self._clock = clock or utc_now

    async def get(self, contract_number: str) -> ContractRecord | None:
        """The contract, whatever the case, width or spacing of ``contract_number``."""
        key = normalise_contract_number(contract_number)
        if not key:
            return None
        async with self._db.transaction() as session:
            row = await session.get(m.Contract, key)
            return from_row(ContractRecord, row) if row is not None else None

    async def for_customer(self, customer_number: str) -> list[ContractRecord]:
        """A customer's contracts, latest end date first."""
        key = normalise_customer_number(customer_number)
        stmt = (
            select(m.Contract)
            .where(m.Contract.customer_number == key)
            .order_by(m.Contract.end_date.desc(), m.Contract.contract_number)
        )
        async with self._db.transaction() as session:
            rows = (await session.execute(stmt)).scalars().all()
            return [from_row(ContractRecord, row) for row in rows]

    async def upsert_many(self, records: Iterable[ContractRecord]) -> UpsertResult:
        """Insert or update contracts and their customers, all in one transaction."""
        now = self._clock()
        contracts: dict[str, dict[str, Any]] = {}
        customers: dict[str, dict[str, Any]] = {}
        for record in records:
            number = normalise_contract_number(record.contract_number)
            customer = normalise_customer_number(record.customer_number)
            contracts[number] = {
                "contract_number": number,
                "customer_number": customer,
                "company": record.company,
                "contact_name": record.contact_name,
                "contact_email": record.contact_email,
                "contact_phone": record.contact_phone,
                "start_date": record.start_date,
                "end_date": record.end_date,
                "products": list(record.products),
                "updated_at": now,
            }
            customers[customer] = {
                "customer_number": customer,
                "company": record.company,
                "updated_at": now,
            }
        if not contracts:
            return UpsertResult(0, 0)
        numbers = list(contracts)
        backend = self._db.backend
        async with self._db.transaction() as session:
            existing = set()
            for chunk in chunks(numbers):
                found = await session.execute(
                    select(m.Contract.contract_number).where(m.Contract.contract_number.in_(chunk))
                )
                existing.update(found.scalars())
            customer_rows = list(customers.values())
            await session.execute(
                _upsert(backend, m.Customer, "customer_number", customer_rows), customer_rows
            )
            contract_rows = list(contracts.values())
            await session.execute(
                _upsert(backend, m.Contract, "contract_number", contract_rows), contract_rows
            )
        return UpsertResult(inserted=len(numbers) - len(existing), updated=len(existing))
