"""Support cases and their event history: the only SQL about them.

Opening a case also writes its outbox rows (:func:`bot.store.outbox.enqueue`) in the
same transaction, so a notification exists exactly when its case does.
"""

from __future__ import annotations

import builtins
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import DEFAULT_TIMEZONE
from bot.store import models as m
from bot.store.database import Database
from bot.store.outbox import enqueue
from bot.store.records import Clock, JsonRecord, chunks, from_row, utc_now
from bot.validators import mask_phone, normalise_case_id

log = logging.getLogger(__name__)

CASE_ID_PREFIX = "PMR"
CASE_ID_DIGITS = 4
# Draws before giving up on a free case id; 10 000 ids a day make a miss this long absurd.
CASE_ID_ATTEMPTS = 25
STATUS_FOR_KIND = {"escalated": "escalated", "closed": "closed", "reopened": "open"}
ADDABLE_KINDS = ("info_added", "escalated", "closed", "reopened")
OUTBOX_EVENT = "case.opened"


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
class CaseEvent(JsonRecord):
    """One entry of a case's history."""

    kind: str
    note: str
    created_at: datetime


@dataclass(frozen=True)
class CaseRecord(JsonRecord):
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
    created_at: datetime
    response_due_at: datetime
    details: dict[str, str]
    events: list[CaseEvent] = field(default_factory=list)


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
        """Work on ``db``; case ids carry the date in time zone ``tz`` (``Settings.timezone``)."""
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
            await enqueue(session, record.case_id, payload, notify_urls, created_at)
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
        return await self._records(stmt)

    async def of_sender(
        self, channel: str, sender_id: str, product: str | None = None, limit: int = 10
    ) -> builtins.list[CaseRecord]:
        """The cases ``sender_id`` opened on ``channel`` (of ``product``), newest first."""
        stmt = (
            select(m.Case)
            .where(m.Case.channel == channel, m.Case.sender_id == sender_id)
            .order_by(m.Case.created_at.desc(), m.Case.id.desc())
            .limit(limit)
        )
        if product is not None:
            stmt = stmt.where(func.lower(m.Case.product) == product.lower())
        return await self._records(stmt)

    async def _records(self, stmt: Any) -> builtins.list[CaseRecord]:
        """The cases ``stmt`` selects, each with its events."""
        async with self._db.transaction() as session:
            rows = (await session.execute(stmt)).scalars().all()
            events = await self._events(session, [row.id for row in rows])
            return [from_row(CaseRecord, row, events=events.get(row.id, [])) for row in rows]

    async def add_event(
        self, case_id: str, kind: str, note: str, response_due_at: datetime | None = None
    ) -> CaseRecord | None:
        """Append to a case's history; some kinds also set its status.

        ``escalated`` / ``closed`` / ``reopened`` set the status, and ``response_due_at``
        (a reopened case's new promise) the due time.
        """
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
            values: dict[str, Any] = {}
            if kind in STATUS_FOR_KIND:
                values["status"] = STATUS_FOR_KIND[kind]
            if response_due_at is not None:
                values["response_due_at"] = response_due_at
            if values:
                await session.execute(update(m.Case).where(m.Case.id == case_pk).values(**values))
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
        return from_row(CaseRecord, row, events=events.get(case_pk, []))

    @staticmethod
    async def _events(
        session: AsyncSession, case_pks: builtins.list[int]
    ) -> dict[int, builtins.list[CaseEvent]]:
        by_case: dict[int, list[CaseEvent]] = {}
        for chunk in chunks(case_pks):
            stmt = (
                select(m.CaseEvent)
                .where(m.CaseEvent.case_pk.in_(chunk))
                .order_by(m.CaseEvent.created_at, m.CaseEvent.id)
            )
            for row in (await session.execute(stmt)).scalars():
                by_case.setdefault(row.case_pk, []).append(from_row(CaseEvent, row))
        return by_case
