"""Staff accounts and the audit log: the only SQL for ``ppa_staff`` and ``ppa_audit_log``."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.store import models as m
from bot.store.database import Database
from bot.store.records import Clock, JsonRecord, from_row, utc_now


class StaffExists(ValueError):
    """An account with this name exists already."""


@dataclass(frozen=True)
class StaffRecord(JsonRecord):
    """A desk account (the password hash is kept out of ``to_dict``)."""

    id: int
    name: str
    role: str
    active: bool
    available: bool
    created_at: datetime
    password_hash: str

    @property
    def is_supervisor(self) -> bool:
        """Supervisors see contracts, reports, the audit log and staff."""
        return self.role == "supervisor"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form without the password hash (and the internal id)."""
        data = super().to_dict()
        del data["id"], data["password_hash"]
        return data


@dataclass(frozen=True)
class AuditRecord(JsonRecord):
    """One audit log line."""

    staff_name: str
    action: str
    target: str
    created_at: datetime


def _staff(row: m.Staff) -> StaffRecord:
    return from_row(StaffRecord, row)


class StaffRepository:
    """Desk accounts."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        """Work on ``db``; ``clock`` gives "now" (tests pass a fixed one)."""
        self._db = db
        self._clock = clock or utc_now

    async def add(self, name: str, role: str, password_hash: str) -> StaffRecord:
        """Create an account; :class:`StaffExists` when the name is taken."""
        if role not in m.STAFF_ROLES:
            raise ValueError(f"unknown role {role!r}")
        try:
            async with self._db.transaction() as session:
                await session.execute(
                    insert(m.Staff).values(
                        name=name,
                        role=role,
                        password_hash=password_hash,
                        active=True,
                        available=False,
                        created_at=self._clock(),
                    )
                )
        except IntegrityError as error:
            raise StaffExists(name) from error
        found = await self.get(name)
        assert found is not None  # noqa: S101  (just committed)
        return found

    async def get(self, name: str) -> StaffRecord | None:
        """The account called ``name``, active or not."""
        async with self._db.transaction() as session:
            row = (
                await session.execute(select(m.Staff).where(m.Staff.name == name))
            ).scalar_one_or_none()
            return _staff(row) if row is not None else None

    async def get_by_id(self, staff_id: int) -> StaffRecord | None:
        """The account with this id."""
        async with self._db.transaction() as session:
            row = await session.get(m.Staff, staff_id)
            return _staff(row) if row is not None else None

    async def list(self) -> list[StaffRecord]:
        """Every account, by name."""
        async with self._db.transaction() as session:
            rows = (await session.execute(select(m.Staff).order_by(m.Staff.name))).scalars()
            return [_staff(row) for row in rows]

    async def set_active(self, name: str, active: bool) -> bool:
        """Enable or disable; a disabled account is also unavailable. False if unknown."""
        values: dict[str, Any] = {"active": active}
        if not active:
            values["available"] = False
        return await self._update(name, **values)

    async def set_available(self, name: str, available: bool) -> bool:
        """Mark an active account (un)available for handoffs. False if unknown or disabled."""
        async with self._db.transaction() as session:
            result = await session.execute(
                update(m.Staff)
                .where(m.Staff.name == name, m.Staff.active.is_(True))
                .values(available=available)
            )
            return bool(result.rowcount)

    async def set_password_hash(self, name: str, password_hash: str) -> bool:
        """Store a new hash (rehash on login when the parameters changed)."""
        return await self._update(name, password_hash=password_hash)

    async def any_available(self) -> bool:
        """Whether at least one active agent or supervisor is available."""
        stmt = select(m.Staff.id).where(m.Staff.active.is_(True), m.Staff.available.is_(True))
        async with self._db.transaction() as session:
            return (await session.execute(stmt.limit(1))).first() is not None

    async def _update(self, name: str, **values: Any) -> bool:
        async with self._db.transaction() as session:
            result = await session.execute(
                update(m.Staff).where(m.Staff.name == name).values(**values)
            )
            return bool(result.rowcount)


class AuditRepository:
    """The audit log: append and read, never change."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        """Work on ``db``; ``clock`` gives "now" (tests pass a fixed one)."""
        self._db = db
        self._clock = clock or utc_now

    async def record(self, staff_name: str, action: str, target: str) -> None:
        """Write one line: ``staff_name`` did ``action`` on ``target`` now."""
        async with self._db.transaction() as session:
            await session.execute(
                insert(m.AuditEntry).values(
                    staff_name=staff_name, action=action, target=target, created_at=self._clock()
                )
            )

    async def count(self, action: str, target: str, since: datetime) -> int:
        """How often ``action`` on ``target`` was logged since ``since`` (login throttling)."""
        stmt = select(func.count(m.AuditEntry.id)).where(
            m.AuditEntry.action == action,
            m.AuditEntry.target == target,
            m.AuditEntry.created_at >= since,
        )
        async with self._db.transaction() as session:
            return int((await session.execute(stmt)).scalar_one())

    async def recent(self, limit: int = 200) -> builtins.list[AuditRecord]:
        """The newest ``limit`` lines, newest first."""
        stmt = select(m.AuditEntry).order_by(m.AuditEntry.id.desc()).limit(limit)
        async with self._db.transaction() as session:
            rows = (await session.execute(stmt)).scalars()
            return [from_row(AuditRecord, r) for r in rows]
