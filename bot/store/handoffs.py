"""Handoffs and their messages: the only SQL for ``ppa_handoffs`` and ``ppa_handoff_messages``.

A handoff is ``waiting`` (queued), ``active`` (an agent has it), ``callback`` (nobody
was available; the customer left a number) or ``closed``. The database allows one
open (waiting or active) handoff per conversation.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store import models as m
from bot.store.database import Database
from bot.store.records import Clock, JsonRecord, from_row, json_form, utc_now


@dataclass(frozen=True)
class HandoffRecord(JsonRecord):
    """One handoff as the desk and the CLI show it (``agent``: the agent's name)."""

    id: int
    conversation_id: str
    channel: str
    status: str
    outcome: str | None
    agent: str | None
    case_id: str | None
    product: str | None
    severity: int | None
    callback_phone: str | None
    context: dict[str, Any]
    last_customer_message: str | None
    requested_at: datetime
    taken_at: datetime | None
    closed_at: datetime | None

    @property
    def sender_id(self) -> str:
        """Rasa's conversation id is the channel's sender id."""
        return self.conversation_id

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (the fields ``handoffs list --json`` promises, and more)."""
        return {**super().to_dict(), "sender_id": self.sender_id}


@dataclass(frozen=True)
class NewHandoff:
    """What the bot knows when a customer asks for a person."""

    conversation_id: str
    channel: str
    context: dict[str, Any] = field(default_factory=dict)
    product: str | None = None
    severity: int | None = None
    case_id: str | None = None
    callback_phone: str | None = None


@dataclass(frozen=True)
class HandoffMessageRecord(JsonRecord):
    """One message of the human part of a conversation (``agent``: the agent's name)."""

    id: int
    handoff_id: int | None
    conversation_id: str
    author: str
    agent: str | None
    text: str
    delivery: str
    created_at: datetime


URGENT_SEVERITY = 1  # the guide's 严重程度一: taken 7x24, ahead of the queue


def _not_urgent() -> Any:
    """0 for a severity-1 handoff, 1 for the rest: the queue's first sort key."""
    return case((m.Handoff.severity == URGENT_SEVERITY, 0), else_=1)


def _select_handoffs() -> Any:
    return select(m.Handoff, m.Staff.name).outerjoin(m.Staff, m.Handoff.agent_id == m.Staff.id)


def _handoff(row: m.Handoff, agent: str | None) -> HandoffRecord:
    return from_row(HandoffRecord, row, agent=agent)


class HandoffRepository:
    """The handoff queue, its transcripts and its surveys."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        """Work on ``db``; ``clock`` gives "now" (tests pass a fixed one)."""
        self._db = db
        self._clock = clock or utc_now

    @property
    def db(self) -> Database:
        """The database (the survey repository shares it)."""
        return self._db

    async def open(self, new: NewHandoff, status: str = "waiting") -> tuple[HandoffRecord, bool]:
        """Queue a conversation (``waiting``) or store a ``callback`` request.

        Returns the handoff and True, or the conversation's open handoff and False
        when it is already queued or with an agent.
        """
        if status not in ("waiting", "callback"):
            raise ValueError(f"a new handoff is waiting or callback, not {status!r}")
        existing = await self.get_open(new.conversation_id)
        if existing is not None:
            return existing, False
        now = self._clock()
        values = {
            "conversation_id": new.conversation_id,
            "channel": new.channel,
            "status": status,
            "context": new.context,
            "product": new.product,
            "severity": new.severity,
            "case_id": new.case_id,
            "callback_phone": new.callback_phone,
            "requested_at": now,
            "updated_at": now,
        }
        try:
            async with self._db.transaction() as session:
                result = await session.execute(insert(m.Handoff).values(**values))
                pk = result.inserted_primary_key[0]
                return await self._load(session, pk), True
        except IntegrityError:
            # A concurrent request queued the same conversation first.
            raced = await self.get_open(new.conversation_id)
            if raced is None:
                raise
            return raced, False

    async def get(self, handoff_id: int) -> HandoffRecord | None:
        """The handoff with this id."""
        async with self._db.transaction() as session:
            row = (
                await session.execute(_select_handoffs().where(m.Handoff.id == handoff_id))
            ).first()
            return _handoff(*row) if row is not None else None

    async def get_open(self, conversation_id: str) -> HandoffRecord | None:
        """The conversation's waiting or active handoff."""
        stmt = _select_handoffs().where(
            m.Handoff.conversation_id == conversation_id, m.Handoff.status.in_(m.HANDOFF_OPEN)
        )
        async with self._db.transaction() as session:
            row = (await session.execute(stmt)).first()
            return _handoff(*row) if row is not None else None

    async def latest(self, conversation_id: str) -> HandoffRecord | None:
        """The conversation's newest handoff in any state."""
        async with self._db.read() as session:
            row = (await session.execute(self._latest_stmt(conversation_id))).first()
            return _handoff(*row) if row is not None else None

    @staticmethod
    def _latest_stmt(conversation_id: str) -> Any:
        return (
            _select_handoffs()
            .where(m.Handoff.conversation_id == conversation_id)
            .order_by(m.Handoff.id.desc())
            .limit(1)
        )

    async def turn_state(self, conversation_id: str) -> tuple[HandoffRecord | None, bool]:
        """The newest handoff, and whether agent messages wait for this conversation.

        What the handoff gate needs on every customer message, in one read: two
        separate reads (:meth:`latest`, then :meth:`take_pending`'s check) cost
        ≈ 2.2 ms each on SQLite, mostly the session, on every turn of every bot.
        """
        waiting = select(
            select(m.HandoffMessage.id)
            .where(
                m.HandoffMessage.delivery == "pending",
                m.HandoffMessage.conversation_id == conversation_id,
            )
            .exists()
        )
        async with self._db.read() as session:
            row = (await session.execute(self._latest_stmt(conversation_id))).first()
            pending = bool((await session.execute(waiting)).scalar())
            return (_handoff(*row) if row is not None else None), pending

    async def list(
        self, status: str | None = None, limit: int = 500
    ) -> builtins.list[HandoffRecord]:
        """Handoffs in the queue's order: severity 1 first, then the oldest request.

        All states when ``status`` is None. An eleventh blind tester's production outage
        waited behind two idle requests.
        """
        stmt = (
            _select_handoffs()
            .order_by(_not_urgent(), m.Handoff.requested_at, m.Handoff.id)
            .limit(limit)
        )
        if status is not None:
            stmt = stmt.where(m.Handoff.status == status)
        async with self._db.transaction() as session:
            return [_handoff(*row) for row in (await session.execute(stmt)).all()]

    async def position(self, handoff_id: int) -> int:
        """1-based place in the waiting queue; 0 when not waiting."""
        async with self._db.transaction() as session:
            row = await session.get(m.Handoff, handoff_id)
            if row is None or row.status != "waiting":
                return 0
            # The list's order: a lower rank first, then the older request.
            rank = 0 if row.severity == URGENT_SEVERITY else 1
            ahead = select(func.count(m.Handoff.id)).where(
                m.Handoff.status == "waiting",
                or_(
                    _not_urgent() < rank,
                    and_(_not_urgent() == rank, m.Handoff.id <= handoff_id),
                ),
            )
            return int((await session.execute(ahead)).scalar_one())

    async def take(self, handoff_id: int, agent_id: int) -> bool:
        """Give a waiting handoff to an agent; True also when that agent has it already."""
        now = self._clock()
        async with self._db.transaction() as session:
            result = await session.execute(
                update(m.Handoff)
                .where(m.Handoff.id == handoff_id, m.Handoff.status == "waiting")
                .values(status="active", agent_id=agent_id, taken_at=now, updated_at=now)
            )
            if result.rowcount:
                return True
            row = await session.get(m.Handoff, handoff_id)
            return row is not None and row.status == "active" and row.agent_id == agent_id

    async def reassign(self, handoff_id: int, agent_id: int) -> bool:
        """Give an active handoff to another member of staff; False when it is not active."""
        now = self._clock()
        async with self._db.transaction() as session:
            result = await session.execute(
                update(m.Handoff)
                .where(m.Handoff.id == handoff_id, m.Handoff.status == "active")
                .values(agent_id=agent_id, updated_at=now)
            )
            return bool(result.rowcount)

    async def set_callback_phone(self, handoff_id: int, phone: str) -> bool:
        """Change the number an open callback request is to be called on."""
        async with self._db.transaction() as session:
            result = await session.execute(
                update(m.Handoff)
                .where(m.Handoff.id == handoff_id, m.Handoff.status == "callback")
                .values(callback_phone=phone, updated_at=self._clock())
            )
            return bool(result.rowcount)

    async def close(self, handoff_id: int, outcome: str) -> HandoffRecord | None:
        """Close an open or callback handoff; None when it was closed already (or unknown)."""
        now = self._clock()
        async with self._db.transaction() as session:
            result = await session.execute(
                update(m.Handoff)
                .where(m.Handoff.id == handoff_id, m.Handoff.status != "closed")
                .values(status="closed", outcome=outcome, closed_at=now, updated_at=now)
            )
            if not result.rowcount:
                return None
            return await self._load(session, handoff_id)

    async def add_message(
        self,
        handoff_id: int,
        author: str,
        text: str,
        *,
        agent_id: int | None = None,
        delivery: str = "none",
    ) -> HandoffMessageRecord:
        """Append to the handoff's transcript (and bump it for the live inbox)."""
        now = self._clock()
        async with self._db.transaction() as session:
            handoff = await session.get(m.Handoff, handoff_id)
            if handoff is None:
                raise ValueError(f"no handoff {handoff_id}")
            pk = await self._insert(
                session, handoff.conversation_id, handoff_id, author, text, agent_id, delivery
            )
            bump: dict[str, Any] = {"updated_at": now}
            if author == "customer":
                bump["last_customer_message"] = text
            await session.execute(
                update(m.Handoff).where(m.Handoff.id == handoff_id).values(**bump)
            )
            return (await self._messages(session, m.HandoffMessage.id == pk))[0]

    async def add_outside(
        self, conversation_id: str, text: str, agent_id: int | None, delivery: str
    ) -> None:
        """Keep a staff message sent outside any handoff (a case update) in the record.

        ``pending`` waits for the customer's next turn (REST, or the platform API was
        down); ``sent`` is kept so the case's transcript shows what the customer was
        told (a thirteenth blind tester's export read as if the engineer never spoke).
        """
        async with self._db.transaction() as session:
            await self._insert(session, conversation_id, None, "agent", text, agent_id, delivery)

    async def _insert(
        self,
        session: AsyncSession,
        conversation_id: str,
        handoff_id: int | None,
        author: str,
        text: str,
        agent_id: int | None,
        delivery: str,
    ) -> int:
        result = await session.execute(
            insert(m.HandoffMessage).values(
                handoff_id=handoff_id,
                conversation_id=conversation_id,
                author=author,
                agent_id=agent_id,
                text=text,
                delivery=delivery,
                created_at=self._clock(),
            )
        )
        return int(result.inserted_primary_key[0])

    async def messages(
        self, handoff_id: int, after_id: int = 0
    ) -> builtins.list[HandoffMessageRecord]:
        """The handoff's messages after ``after_id``, oldest first."""
        async with self._db.transaction() as session:
            return await self._messages(
                session, m.HandoffMessage.handoff_id == handoff_id, m.HandoffMessage.id > after_id
            )

    async def agent_messages(
        self, conversation_id: str | None = None, since: datetime | None = None
    ) -> builtins.list[HandoffMessageRecord]:
        """What agents wrote, oldest first: to one conversation, or to all since a moment."""
        where = [m.HandoffMessage.author == "agent"]
        if conversation_id is not None:
            where.append(m.HandoffMessage.conversation_id == conversation_id)
        if since is not None:
            where.append(m.HandoffMessage.created_at >= since)
        async with self._db.read() as session:
            return await self._messages(session, *where)

    async def take_pending(self, conversation_id: str) -> builtins.list[HandoffMessageRecord]:
        """Agent messages waiting for the customer's next turn (REST); marks them sent."""
        waiting = (
            m.HandoffMessage.delivery == "pending",
            m.HandoffMessage.conversation_id == conversation_id,
        )
        async with self._db.read() as session:  # nearly always none: no write lock for that
            if not await self._messages(session, *waiting):
                return []
        async with self._db.transaction() as session:
            pending = await self._messages(
                session,
                m.HandoffMessage.delivery == "pending",
                m.HandoffMessage.conversation_id == conversation_id,
            )
            if pending:
                await session.execute(
                    update(m.HandoffMessage)
                    .where(m.HandoffMessage.id.in_([p.id for p in pending]))
                    .values(delivery="sent")
                )
            return pending

    async def version(self) -> tuple[Any, ...]:
        """A cheap fingerprint of the queue: it changes whenever the inbox would."""
        async with self._db.read() as session:
            handoffs = (
                await session.execute(
                    select(func.count(m.Handoff.id), func.max(m.Handoff.updated_at))
                )
            ).one()
            newest = (await session.execute(select(func.max(m.HandoffMessage.id)))).scalar_one()
            return (handoffs[0], json_form(handoffs[1]), newest)

    async def _load(self, session: AsyncSession, handoff_id: int) -> HandoffRecord:
        row = (await session.execute(_select_handoffs().where(m.Handoff.id == handoff_id))).one()
        return _handoff(*row)

    async def _messages(
        self, session: AsyncSession, *where: Any
    ) -> builtins.list[HandoffMessageRecord]:
        stmt = (
            select(m.HandoffMessage, m.Staff.name)
            .outerjoin(m.Staff, m.HandoffMessage.agent_id == m.Staff.id)
            .where(*where)
            .order_by(m.HandoffMessage.id)
        )
        return [
            from_row(HandoffMessageRecord, row, agent=name)
            for row, name in (await session.execute(stmt)).all()
        ]
