"""The desk's side of cases: staff status, assignee, stage, notes and ``case.updated``.

``ppa_cases`` keeps the bot's lifecycle (open / escalated / closed); the desk's
finer statuses (受理中, 等待客户, 已解决, 已关闭) live in ``ppa_case_desk`` so that
neither schema has to change for the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store import models as m
from bot.store.cases import CaseRecord
from bot.store.database import Database
from bot.store.outbox import enqueue
from bot.store.records import Clock, from_row, utc_now

NEW_DESK_STATUS = "待受理"
UPDATED_EVENT = "case.updated"
DEFAULT_STAGE = 2  # the bot's intake covers the guide's stages 1 and 2


@dataclass(frozen=True)
class CaseDeskState:
    """Staff status, assignee and stage of one case."""

    case_id: str
    desk_status: str
    assignee: str | None
    stage: int


@dataclass(frozen=True)
class CaseNoteRecord:
    """One staff entry on a case (``staff``: the author's name)."""

    kind: str
    staff: str | None
    text: str
    created_at: datetime


@dataclass(frozen=True)
class CaseRow:
    """A line of the desk's case queue."""

    case_id: str
    status: str
    desk_status: str
    severity: int
    product: str
    company: str
    contact_name: str
    phone: str
    email: str | None
    assignee: str | None
    stage: int
    created_at: datetime
    response_due_at: datetime
    channel: str
    sender_id: str


class CaseDeskRepository:
    """Desk state of cases; status changes write their outbox rows in the same transaction."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        """Work on ``db``; ``clock`` gives "now" (tests pass a fixed one)."""
        self._db = db
        self._clock = clock or utc_now

    async def state(self, case_id: str) -> CaseDeskState:
        """The case's desk state (``待受理`` at stage 2 until staff touch it)."""
        async with self._db.transaction() as session:
            return await self._state(session, case_id)

    async def queue(
        self,
        *,
        desk_status: str | None = None,
        severity: int | None = None,
        product: str | None = None,
        overdue_at: datetime | None = None,
        unassigned: bool = False,
        limit: int = 200,
    ) -> list[CaseRow]:
        """Cases for the desk, most urgent first.

        ``overdue_at``: due before it and still open; ``unassigned``: nobody's yet.
        """
        status = m.CaseDesk.desk_status
        stmt = (
            select(m.Case, status, m.CaseDesk.stage, m.Staff.name)
            .outerjoin(m.CaseDesk, m.CaseDesk.case_id == m.Case.case_id)
            .outerjoin(m.Staff, m.CaseDesk.assignee_id == m.Staff.id)
            .order_by(m.Case.severity, m.Case.response_due_at, m.Case.id)
            .limit(limit)
        )
        if desk_status == NEW_DESK_STATUS:
            # Never touched by staff, or put back by the customer (reopened, answered).
            stmt = stmt.where(status.is_(None) | (status == NEW_DESK_STATUS))
        elif desk_status is not None:
            stmt = stmt.where(status == desk_status)
        if unassigned:
            stmt = stmt.where(m.CaseDesk.assignee_id.is_(None))
        if severity is not None:
            stmt = stmt.where(m.Case.severity == severity)
        if product:
            stmt = stmt.where(m.Case.product == product)
        if overdue_at is not None:
            stmt = stmt.where(
                m.Case.response_due_at < overdue_at,
                m.Case.status != "closed",
                status.is_(None) | status.not_in(("已解决", "已关闭")),
            )
        async with self._db.transaction() as session:
            rows = (await session.execute(stmt)).all()
        return [
            from_row(
                CaseRow,
                case,
                desk_status=desk or NEW_DESK_STATUS,
                assignee=assignee,
                stage=stage or DEFAULT_STAGE,
            )
            for case, desk, stage, assignee in rows
        ]

    async def change(
        self,
        case: CaseRecord,
        staff_id: int | None,
        *,
        kind: str,
        text: str = "",
        desk_status: str | None = None,
        assignee_id: int | None = None,
        stage: int | None = None,
        notify_urls: Sequence[str] = (),
    ) -> CaseDeskState:
        """Write a note of ``kind`` and any new status / assignee / stage, atomically.

        A status change also queues a ``case.updated`` notification per URL.
        """
        # 待受理 is set by the bot only: a case the customer reopened waits for staff again.
        if desk_status is not None and desk_status not in (NEW_DESK_STATUS, *m.DESK_CASE_STATUSES):
            raise ValueError(f"desk status must be one of {m.DESK_CASE_STATUSES}")
        now = self._clock()
        async with self._db.transaction() as session:
            before = await self._state(session, case.case_id)
            values: dict[str, Any] = {
                "desk_status": desk_status or before.desk_status,
                "stage": stage or before.stage,
                "updated_at": now,
            }
            if assignee_id is not None:
                values["assignee_id"] = assignee_id
            exists = await session.get(m.CaseDesk, case.case_id)
            if exists is None:
                await session.execute(insert(m.CaseDesk).values(case_id=case.case_id, **values))
            else:
                await session.execute(
                    update(m.CaseDesk).where(m.CaseDesk.case_id == case.case_id).values(**values)
                )
            # A status entry names the status: "已解决：已提供补丁", or "等待客户" alone (a
            # thirteenth blind tester's history read "状态" with nothing after it).
            recorded = text
            if kind == "status" and desk_status is not None:
                recorded = f"{desk_status}：{text}" if text else desk_status
            await session.execute(
                insert(m.CaseNote).values(
                    case_id=case.case_id,
                    staff_id=staff_id,
                    kind=kind,
                    text=recorded,
                    created_at=now,
                )
            )
            after = await self._state(session, case.case_id)
            if desk_status is not None:
                payload = {
                    "event": UPDATED_EVENT,
                    "case": case.to_dict(),
                    "desk_status": after.desk_status,
                    "stage": after.stage,
                    "note": text,
                }
                await enqueue(session, case.case_id, payload, notify_urls, now)
            return after

    async def version(self) -> tuple[Any, ...]:
        """A cheap fingerprint of the cases: it changes when one is opened or touched.

        Read on every poll of every open inbox: no write lock (``Database.read``).
        """
        async with self._db.read() as session:
            cases = (await session.execute(select(func.max(m.Case.id)))).scalar_one()
            desk = (await session.execute(select(func.max(m.CaseDesk.updated_at)))).scalar_one()
            notes = (await session.execute(select(func.max(m.CaseNote.id)))).scalar_one()
        return (cases, str(desk), notes)

    async def for_sender(self, sender_id: str) -> list[str]:
        """Case ids opened in this conversation, newest first."""
        stmt = (
            select(m.Case.case_id)
            .where(m.Case.sender_id == sender_id)
            .order_by(m.Case.created_at.desc())
        )
        async with self._db.transaction() as session:
            return list((await session.execute(stmt)).scalars())

    async def notes(self, case_id: str) -> list[CaseNoteRecord]:
        """The case's staff entries, oldest first."""
        stmt = (
            select(m.CaseNote, m.Staff.name)
            .outerjoin(m.Staff, m.CaseNote.staff_id == m.Staff.id)
            .where(m.CaseNote.case_id == case_id)
            .order_by(m.CaseNote.id)
        )
        async with self._db.transaction() as session:
            rows = (await session.execute(stmt)).all()
        return [from_row(CaseNoteRecord, n, staff=name) for n, name in rows]

    @staticmethod
    async def _state(session: AsyncSession, case_id: str) -> CaseDeskState:
        row = (
            await session.execute(
                select(m.CaseDesk, m.Staff.name)
                .outerjoin(m.Staff, m.CaseDesk.assignee_id == m.Staff.id)
                .where(m.CaseDesk.case_id == case_id)
            )
        ).first()
        if row is None:
            return CaseDeskState(case_id, NEW_DESK_STATUS, None, DEFAULT_STAGE)
        desk, assignee = row
        return from_row(CaseDeskState, desk, assignee=assignee)
