"""Repositories: the only code that knows SQL. Plain dataclasses in and out.

Each public method is one unit of work in one transaction (``Database.transaction``),
so nothing is half-written and a broken connection surfaces as ``StoreUnavailable``.
"""

from __future__ import annotations

import builtins
import logging
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import DEFAULT_TIMEZONE
from bot.store import models as m
from bot.store.database import Database
from bot.validators import (
    mask_phone,
    normalise_case_id,
    normalise_contract_number,
    normalise_customer_number,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

Clock = Callable[[], datetime]

CASE_ID_PREFIX = "PMR"
CASE_ID_DIGITS = 4
# Draws before giving up on a free case id; 10 000 ids a day make a miss this long absurd.
CASE_ID_ATTEMPTS = 25
STATUS_FOR_KIND = {"escalated": "escalated", "closed": "closed"}
ADDABLE_KINDS = ("info_added", "escalated", "closed")
OUTBOX_EVENT = "case.opened"
# Keeps IN (...) lists under SQLite's bound-parameter limit.
_CHUNK = 500


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _chunks(items: Sequence[T]) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


# -- contracts ----------------------------------------------------------------------


@dataclass(frozen=True)
class ContractRecord:
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

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form; dates as ISO strings."""
        return {
            "customer_number": self.customer_number,
            "contract_number": self.contract_number,
            "company": self.company,
            "contact_name": self.contact_name,
            "contact_email": self.contact_email,
            "contact_phone": self.contact_phone,
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat(),
            "products": list(self.products),
        }


@dataclass(frozen=True)
class UpsertResult:
    """How many contracts an upsert created and how many it changed."""

    inserted: int
    updated: int


def _contract_record(row: m.Contract) -> ContractRecord:
    return ContractRecord(
        customer_number=row.customer_number,
        contract_number=row.contract_number,
        company=row.company,
        contact_name=row.contact_name,
        contact_email=row.contact_email,
        contact_phone=row.contact_phone,
        start_date=row.start_date,
        end_date=row.end_date,
        products=list(row.products),
    )


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
        self._db = db
        self._clock = clock or utc_now

    async def get(self, contract_number: str) -> ContractRecord | None:
        """The contract, whatever the case, width or spacing of ``contract_number``."""
        key = normalise_contract_number(contract_number)
        if not key:
            return None
        async with self._db.transaction() as session:
            row = await session.get(m.Contract, key)
            return _contract_record(row) if row is not None else None

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
            return [_contract_record(row) for row in rows]

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
            for chunk in _chunks(numbers):
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


# -- cases --------------------------------------------------------------------------


@dataclass(frozen=True)
class NewCase:
    """What the bot collected for a new case (stage 1 and stage 2 of the guide)."""

    idempotency_key: str
    severity: int
    product: str
    contact_name: str
    company: str
    phone: str
    customer_number: str | None
    contract_number: str | None
    channel: str
    sender_id: str
    details: dict[str, str]
    response_due_at: datetime
    email: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class CaseEvent:
    """One entry of a case's history."""

    kind: str
    note: str
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"kind": self.kind, "note": self.note, "created_at": _iso(self.created_at)}


@dataclass(frozen=True)
class CaseRecord:
    """A stored case with its history, oldest event first."""

    case_id: str
    status: str
    severity: int
    product: str
    customer_number: str | None
    contract_number: str | None
    contact_name: str
    company: str
    phone: str
    email: str | None
    channel: str
    sender_id: str
    details: dict[str, str]
    created_at: datetime
    response_due_at: datetime
    events: list[CaseEvent] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form; datetimes as ISO 8601 in UTC."""
        return {
            "case_id": self.case_id,
            "status": self.status,
            "severity": self.severity,
            "product": self.product,
            "customer_number": self.customer_number,
            "contract_number": self.contract_number,
            "contact_name": self.contact_name,
            "company": self.company,
            "phone": self.phone,
            "email": self.email,
            "channel": self.channel,
            "sender_id": self.sender_id,
            "created_at": _iso(self.created_at),
            "response_due_at": _iso(self.response_due_at),
            "details": dict(self.details),
            "events": [event.to_dict() for event in self.events],
        }


def _random_suffix() -> int:
    return secrets.randbelow(10**CASE_ID_DIGITS)


def _check_new_case(new_case: NewCase) -> None:
    if not new_case.idempotency_key:
        raise ValueError("idempotency_key is required")
    if new_case.severity not in m.SEVERITIES:
        raise ValueError(f"severity must be one of {m.SEVERITIES}, not {new_case.severity!r}")
    for name in ("response_due_at", "created_at"):
        value = getattr(new_case, name)
        if value is not None and value.tzinfo is None:
            raise ValueError(f"{name} must be timezone-aware")


class CaseRepository:
    """Support cases, their event history and the notifications they trigger."""

    def __init__(
        self, db: Database, clock: Clock | None = None, *, tz: str = DEFAULT_TIMEZONE
    ) -> None:
        self._db = db
        self._clock = clock or utc_now
        self._tz = ZoneInfo(tz)

    def _new_case_id(self, created_at: datetime) -> str:
        day = created_at.astimezone(self._tz).strftime("%y%m%d")
        return f"{CASE_ID_PREFIX}-{day}-{_random_suffix():0{CASE_ID_DIGITS}d}"

    async def open(
        self, new_case: NewCase, notify_urls: Sequence[str] = ()
    ) -> tuple[CaseRecord, bool]:
        """Store a case, its ``opened`` event and its outbox rows in one transaction.

        Returns the case and True, or the case already stored under the same
        idempotency key and False (also when a concurrent call stored it first).
        """
        _check_new_case(new_case)
        async with self._db.transaction() as session:
            existing = await self._load_by_key(session, new_case.idempotency_key)
            if existing is not None:
                return existing, False
            created_at = new_case.created_at or self._clock()
            case_pk = await self._insert_case(session, new_case, created_at)
            if case_pk is None:
                # A concurrent call committed this key while we were inserting.
                raced = await self._load_by_key(session, new_case.idempotency_key)
                if raced is None:
                    raise RuntimeError("idempotency key taken but its case is not visible")
                return raced, False
            await session.execute(
                insert(m.CaseEvent).values(
                    case_pk=case_pk, kind="opened", note="", created_at=created_at
                )
            )
            record = await self._load(session, case_pk)
            payload = {"event": OUTBOX_EVENT, "case": record.to_dict()}
            for url in notify_urls:
                await session.execute(
                    insert(m.OutboxMessage).values(
                        case_id=record.case_id,
                        target_url=url,
                        payload=payload,
                        status="pending",
                        attempts=0,
                        next_attempt_at=created_at,
                        created_at=created_at,
                    )
                )
        log.info(
            "opened case %s severity %s product %s via %s, phone %s",
            record.case_id,
            record.severity,
            record.product,
            record.channel,
            mask_phone(record.phone),
        )
        return record, True

    async def _insert_case(
        self, session: AsyncSession, new_case: NewCase, created_at: datetime
    ) -> int | None:
        """The new row's primary key, or None if the idempotency key was taken meanwhile."""
        values = {
            "idempotency_key": new_case.idempotency_key,
            "status": "open",
            "severity": new_case.severity,
            "product": new_case.product,
            "customer_number": new_case.customer_number,
            "contract_number": new_case.contract_number,
            "contact_name": new_case.contact_name,
            "company": new_case.company,
            "phone": new_case.phone,
            "email": new_case.email,
            "channel": new_case.channel,
            "sender_id": new_case.sender_id,
            "details": dict(new_case.details),
            "created_at": created_at,
            "response_due_at": new_case.response_due_at,
        }
        for _ in range(CASE_ID_ATTEMPTS):
            case_id = self._new_case_id(created_at)
            try:
                # A savepoint, so a unique violation leaves the transaction usable.
                async with session.begin_nested():
                    result = await session.execute(insert(m.Case).values(case_id=case_id, **values))
                pk: int = result.inserted_primary_key[0]
                return pk
            except IntegrityError:
                if await self._exists(session, m.Case.idempotency_key, new_case.idempotency_key):
                    return None
                if not await self._exists(session, m.Case.case_id, case_id):
                    raise
                log.info("case id %s already taken, drawing another", case_id)
        raise RuntimeError(f"no free case id after {CASE_ID_ATTEMPTS} attempts")

    async def get(self, case_id: str) -> CaseRecord | None:
        """The case with its events; ``case_id`` in any form ``normalise_case_id`` accepts."""
        canonical = normalise_case_id(case_id)
        if canonical is None:
            return None
        async with self._db.transaction() as session:
            row = (
                await session.execute(select(m.Case.id).where(m.Case.case_id == canonical))
            ).scalar_one_or_none()
            return await self._load(session, row) if row is not None else None

    async def list(
        self, status: str | None = None, limit: int | None = None
    ) -> builtins.list[CaseRecord]:
        """Cases, newest first, optionally only those with ``status``."""
        if status is not None and status not in m.CASE_STATUSES:
            raise ValueError(f"status must be one of {m.CASE_STATUSES}, not {status!r}")
        stmt = select(m.Case).order_by(m.Case.created_at.desc(), m.Case.id.desc())
        if status is not None:
            stmt = stmt.where(m.Case.status == status)
        if limit is not None:
            stmt = stmt.limit(limit)
        async with self._db.transaction() as session:
            rows = (await session.execute(stmt)).scalars().all()
            events = await self._events(session, [row.id for row in rows])
            return [_case_record(row, events.get(row.id, [])) for row in rows]

    async def add_event(self, case_id: str, kind: str, note: str) -> CaseRecord | None:
        """Append to a case's history; ``escalated`` / ``closed`` also set its status."""
        if kind not in ADDABLE_KINDS:
            raise ValueError(f"kind must be one of {ADDABLE_KINDS}, not {kind!r}")
        canonical = normalise_case_id(case_id)
        if canonical is None:
            return None
        async with self._db.transaction() as session:
            case_pk = (
                await session.execute(
                    select(m.Case.id).where(m.Case.case_id == canonical).with_for_update()
                )
            ).scalar_one_or_none()
            if case_pk is None:
                return None
            await session.execute(
                insert(m.CaseEvent).values(
                    case_pk=case_pk, kind=kind, note=note, created_at=self._clock()
                )
            )
            if kind in STATUS_FOR_KIND:
                await session.execute(
                    update(m.Case).where(m.Case.id == case_pk).values(status=STATUS_FOR_KIND[kind])
                )
            return await self._load(session, case_pk)

    # -- helpers --------------------------------------------------------------------

    @staticmethod
    async def _exists(session: AsyncSession, column: Any, value: str) -> bool:
        found = await session.execute(select(m.Case.id).where(column == value))
        return found.first() is not None

    async def _load_by_key(self, session: AsyncSession, key: str) -> CaseRecord | None:
        case_pk = (
            await session.execute(select(m.Case.id).where(m.Case.idempotency_key == key))
        ).scalar_one_or_none()
        return await self._load(session, case_pk) if case_pk is not None else None

    async def _load(self, session: AsyncSession, case_pk: int) -> CaseRecord:
        row = (await session.execute(select(m.Case).where(m.Case.id == case_pk))).scalar_one()
        events = await self._events(session, [case_pk])
        return _case_record(row, events.get(case_pk, []))

    @staticmethod
    async def _events(
        session: AsyncSession, case_pks: builtins.list[int]
    ) -> dict[int, builtins.list[CaseEvent]]:
        by_case: dict[int, list[CaseEvent]] = {}
        for chunk in _chunks(case_pks):
            stmt = (
                select(m.CaseEvent)
                .where(m.CaseEvent.case_pk.in_(chunk))
                .order_by(m.CaseEvent.created_at, m.CaseEvent.id)
            )
            for row in (await session.execute(stmt)).scalars():
                by_case.setdefault(row.case_pk, []).append(
                    CaseEvent(kind=row.kind, note=row.note, created_at=row.created_at)
                )
        return by_case


def _case_record(row: m.Case, events: list[CaseEvent]) -> CaseRecord:
    return CaseRecord(
        case_id=row.case_id,
        status=row.status,
        severity=row.severity,
        product=row.product,
        customer_number=row.customer_number,
        contract_number=row.contract_number,
        contact_name=row.contact_name,
        company=row.company,
        phone=row.phone,
        email=row.email,
        channel=row.channel,
        sender_id=row.sender_id,
        details=dict(row.details),
        created_at=row.created_at,
        response_due_at=row.response_due_at,
        events=events,
    )


# -- notification outbox ------------------------------------------------------------


@dataclass(frozen=True)
class OutboxItem:
    """A notification waiting for (another) delivery attempt."""

    id: int
    case_id: str
    target_url: str
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None
    created_at: datetime


class OutboxRepository:
    """Notifications written with their case, delivered later by a worker.

    ``failed`` means the last attempt failed; the row is due again at
    ``next_attempt_at``, or never when that is ``None`` (given up).
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    async def due(self, now: datetime, limit: int) -> list[OutboxItem]:
        """Undelivered notifications whose next attempt is at or before ``now``, oldest first."""
        stmt = (
            select(m.OutboxMessage)
            .where(
                m.OutboxMessage.status.in_(("pending", "failed")),
                m.OutboxMessage.next_attempt_at.is_not(None),
                m.OutboxMessage.next_attempt_at <= now,
            )
            .order_by(m.OutboxMessage.next_attempt_at, m.OutboxMessage.id)
            .limit(limit)
        )
        async with self._db.transaction() as session:
            rows = (await session.execute(stmt)).scalars().all()
            return [_outbox_item(row) for row in rows]

    async def claim(self, item_id: int, now: datetime, lease_until: datetime) -> bool:
        """Take a due row for one delivery attempt; False if another worker took it.

        The row stays undelivered but is not due again before ``lease_until``, so a
        worker that dies mid-send only delays the notification.
        """
        stmt = (
            update(m.OutboxMessage)
            .where(
                m.OutboxMessage.id == item_id,
                m.OutboxMessage.status.in_(("pending", "failed")),
                m.OutboxMessage.next_attempt_at <= now,
            )
            .values(next_attempt_at=lease_until)
        )
        async with self._db.transaction() as session:
            result = await session.execute(stmt)
            return bool(result.rowcount)

    async def mark_delivered(self, item_id: int, now: datetime) -> bool:
        """Record a successful delivery; False if there is no such row."""
        return await self._update(
            item_id,
            status="delivered",
            delivered_at=now,
            next_attempt_at=None,
            attempts=m.OutboxMessage.attempts + 1,
        )

    async def mark_failed(self, item_id: int, error: str, next_attempt_at: datetime | None) -> bool:
        """Record a failed attempt; retry at ``next_attempt_at`` (``None``: give up)."""
        return await self._update(
            item_id,
            status="failed",
            last_error=error,
            next_attempt_at=next_attempt_at,
            attempts=m.OutboxMessage.attempts + 1,
        )

    async def _update(self, item_id: int, **values: Any) -> bool:
        stmt = update(m.OutboxMessage).where(m.OutboxMessage.id == item_id).values(**values)
        async with self._db.transaction() as session:
            result = await session.execute(stmt)
            return bool(result.rowcount)


def _outbox_item(row: m.OutboxMessage) -> OutboxItem:
    return OutboxItem(
        id=row.id,
        case_id=row.case_id,
        target_url=row.target_url,
        payload=dict(row.payload),
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        delivered_at=row.delivered_at,
        last_error=row.last_error,
        created_at=row.created_at,
    )
