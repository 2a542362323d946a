"""Table definitions. Every table is prefixed ``ppa_``: Rasa's tracker tables share the database.

Only the repositories (``contracts``, ``cases``, ``outbox``) query these classes; everything else sees plain dataclasses.
The schema itself is created by the Alembic migrations, never from this module.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import declarative_base
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so later migrations can refer to them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

CASE_STATUSES = ("open", "escalated", "closed")
EVENT_KINDS = ("opened", "info_added", "escalated", "closed", "reopened")  # 0007: reopened
OUTBOX_STATUSES = ("pending", "delivered", "failed")
SEVERITIES = (1, 2, 3)  # the guide's 严重程度一 … 三
IDENTITY_SCOPES = ("conversation", "case", "contract")

metadata = MetaData(naming_convention=NAMING_CONVENTION)
Base: Any = declarative_base(metadata=metadata)

# JSONB on PostgreSQL (indexable, compact); JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator):  # type: ignore[misc]
    """A timezone-aware datetime stored as UTC; naive values are refused, not guessed."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """``value`` in UTC for the database (naive UTC on SQLite)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware value")
        utc = value.astimezone(timezone.utc)
        # SQLite has no timezone type: store naive UTC there.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """A stored value as an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Customer(Base):  # type: ignore[misc]
    """A PPA customer (IBM 客户号)."""

    __tablename__ = "ppa_customers"

    customer_number = Column(String(32), primary_key=True)
    company = Column(Text, nullable=False)
    updated_at = Column(UTCDateTime, nullable=False)


class Contract(Base):  # type: ignore[misc]
    """A PPA contract as on the entity contact card (PPA实体联系人信息卡)."""

    __tablename__ = "ppa_contracts"

    contract_number = Column(String(64), primary_key=True)
    customer_number = Column(
        String(32), ForeignKey("ppa_customers.customer_number"), nullable=False, index=True
    )
    company = Column(Text, nullable=False)
    contact_name = Column(Text, nullable=False)
    contact_email = Column(Text, nullable=False)
    contact_phone = Column(Text, nullable=False)
    start_date = Column(Date, nullable=False)
    end_date = Column(Date, nullable=False)
    products = Column(JSONType, nullable=False)  # canonical catalogue names
    updated_at = Column(UTCDateTime, nullable=False)

    __table_args__ = (CheckConstraint("end_date >= start_date", name="dates_ordered"),)


class Case(Base):  # type: ignore[misc]
    """A support case (PMR) opened by the bot."""

    __tablename__ = "ppa_cases"

    id = Column(Integer, primary_key=True, autoincrement=True)
    case_id = Column(String(20), nullable=False, unique=True)
    idempotency_key = Column(String(255), nullable=False, unique=True)
    status = Column(String(16), nullable=False, index=True)
    severity = Column(Integer, nullable=False)
    product = Column(Text, nullable=False)
    customer_number = Column(String(32), nullable=True, index=True)
    contract_number = Column(String(64), nullable=True)
    contact_name = Column(Text, nullable=False)
    company = Column(Text, nullable=False)
    phone = Column(Text, nullable=False)
    email = Column(Text, nullable=True)
    channel = Column(String(32), nullable=False)
    sender_id = Column(Text, nullable=False)
    details = Column(JSONType, nullable=False)  # stage-2 fields; free text kept whole
    created_at = Column(UTCDateTime, nullable=False, index=True)
    response_due_at = Column(UTCDateTime, nullable=False)

    __table_args__ = (
        CheckConstraint(_in("status", CASE_STATUSES), name="status"),
        CheckConstraint(f"severity BETWEEN {SEVERITIES[0]} AND {SEVERITIES[-1]}", name="severity"),
        # Migration 0004: the reports' grouping reads this index alone; the desk's queue
        # order needs no sort; a conversation's cases are found without a scan.
        Index("ix_ppa_cases_report", "created_at", "severity", "product"),
        Index("ix_ppa_cases_queue", "severity", "response_due_at", "id"),
        Index("ix_ppa_cases_sender_id", "sender_id"),
    )


class CaseEvent(Base):  # type: ignore[misc]
    """One entry of a case's history."""

    __tablename__ = "ppa_case_events"

    id = Column(Integer, primary_key=True, autoincrement=True)
    case_pk = Column(
        Integer, ForeignKey("ppa_cases.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind = Column(String(16), nullable=False)
    note = Column(Text, nullable=False, default="")
    created_at = Column(UTCDateTime, nullable=False)

    __table_args__ = (CheckConstraint(_in("kind", EVENT_KINDS), name="kind"),)


class OutboxMessage(Base):  # type: ignore[misc]
    """A notification to deliver after the case that caused it was committed."""

    __tablename__ = "ppa_notification_outbox"

    id = Column(Integer, primary_key=True, autoincrement=True)
    case_id = Column(String(20), ForeignKey("ppa_cases.case_id"), nullable=False, index=True)
    target_url = Column(Text, nullable=False)
    payload = Column(JSONType, nullable=False)
    status = Column(String(16), nullable=False)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(UTCDateTime, nullable=True)  # NULL: never retried again
    delivered_at = Column(UTCDateTime, nullable=True)
    last_error = Column(Text, nullable=True)
    created_at = Column(UTCDateTime, nullable=False)

    __table_args__ = (
        CheckConstraint(_in("status", OUTBOX_STATUSES), name="status"),
        Index("ix_ppa_notification_outbox_due", "status", "next_attempt_at"),
    )


class IdentityAttempt(Base):  # type: ignore[misc]
    """One failed identity proof, counted against a conversation, a case or a contract.

    ``subject`` is a SHA-256 digest of the value, so the table holds no ids.
    """

    __tablename__ = "ppa_identity_attempts"

    id = Column(Integer, primary_key=True, autoincrement=True)
    scope = Column(String(16), nullable=False)
    subject = Column(String(64), nullable=False)
    failed_at = Column(UTCDateTime, nullable=False)

    __table_args__ = (
        CheckConstraint(_in("scope", IDENTITY_SCOPES), name="scope"),
        Index("ix_ppa_identity_attempts_subject", "scope", "subject", "failed_at"),
        Index("ix_ppa_identity_attempts_failed_at", "failed_at"),
    )


# -- service desk (migration 0003) --------------------------------------------------

STAFF_ROLES = ("agent", "supervisor")
HANDOFF_STATUSES = ("waiting", "active", "closed", "callback")
HANDOFF_OPEN = ("waiting", "active")
MESSAGE_AUTHORS = ("customer", "agent", "system")
DELIVERY_STATES = ("sent", "pending", "failed", "none")
CSAT_STATES = ("asked", "answered", "expired")
DESK_CASE_STATUSES = ("受理中", "等待客户", "已解决", "已关闭")
DESK_CLOSED = DESK_CASE_STATUSES[-1]  # also closes the case in ppa_cases


class Staff(Base):  # type: ignore[misc]
    """A desk account: an agent or a supervisor."""

    __tablename__ = "ppa_staff"

    id = Column(Integer, primary_key=True, autoincrement=True)
    name = Column(String(64), nullable=False, unique=True)
    role = Column(String(16), nullable=False)
    password_hash = Column(Text, nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    available = Column(Boolean, nullable=False, default=False)
    created_at = Column(UTCDateTime, nullable=False)

    __table_args__ = (CheckConstraint(_in("role", STAFF_ROLES), name="role"),)


class Handoff(Base):  # type: ignore[misc]
    """A conversation handed to a person: a queue entry, then an agent's chat, or a callback."""

    __tablename__ = "ppa_handoffs"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(32), nullable=False)
    status = Column(String(16), nullable=False)
    outcome = Column(String(16), nullable=True)  # closed by: agent, customer (取消), callback
    agent_id = Column(Integer, ForeignKey("ppa_staff.id"), nullable=True)
    case_id = Column(String(20), nullable=True)
    product = Column(Text, nullable=True)
    severity = Column(Integer, nullable=True)
    callback_phone = Column(Text, nullable=True)
    context = Column(JSONType, nullable=False)  # form slots, identity verified, reason
    last_customer_message = Column(Text, nullable=True)
    requested_at = Column(UTCDateTime, nullable=False, index=True)
    taken_at = Column(UTCDateTime, nullable=True)
    closed_at = Column(UTCDateTime, nullable=True)
    updated_at = Column(UTCDateTime, nullable=False, index=True)

    __table_args__ = (
        CheckConstraint(_in("status", HANDOFF_STATUSES), name="status"),
        # At most one open handoff per conversation, enforced by the database.
        Index(
            "ix_ppa_handoffs_one_open",
            "conversation_id",
            unique=True,
            sqlite_where=text(_in("status", HANDOFF_OPEN)),
            postgresql_where=text(_in("status", HANDOFF_OPEN)),
        ),
    )


class HandoffMessage(Base):  # type: ignore[misc]
    """One message of the human part of a conversation (the bot part is Rasa's tracker)."""

    __tablename__ = "ppa_handoff_messages"

    id = Column(Integer, primary_key=True, autoincrement=True)
    # NULL for a message outside a handoff (a case update waiting for a REST customer).
    handoff_id = Column(
        Integer, ForeignKey("ppa_handoffs.id", ondelete="CASCADE"), nullable=True, index=True
    )
    conversation_id = Column(String(255), nullable=False, index=True)
    author = Column(String(16), nullable=False)
    agent_id = Column(Integer, ForeignKey("ppa_staff.id"), nullable=True)
    text = Column(Text, nullable=False)
    delivery = Column(String(16), nullable=False)
    created_at = Column(UTCDateTime, nullable=False)

    __table_args__ = (
        CheckConstraint(_in("author", MESSAGE_AUTHORS), name="author"),
        CheckConstraint(_in("delivery", DELIVERY_STATES), name="delivery"),
    )


class CsatResponse(Base):  # type: ignore[misc]
    """The satisfaction survey sent when a handoff closes, and its answer."""

    __tablename__ = "ppa_csat"

    id = Column(Integer, primary_key=True, autoincrement=True)
    handoff_id = Column(
        Integer, ForeignKey("ppa_handoffs.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    conversation_id = Column(String(255), nullable=False, index=True)
    state = Column(String(16), nullable=False)
    score = Column(Integer, nullable=True)
    comment = Column(Text, nullable=True)
    asked_at = Column(UTCDateTime, nullable=False)
    expires_at = Column(UTCDateTime, nullable=False)
    answered_at = Column(UTCDateTime, nullable=True)

    __table_args__ = (
        CheckConstraint(_in("state", CSAT_STATES), name="state"),
        CheckConstraint("score IS NULL OR score BETWEEN 1 AND 5", name="score"),
    )


class CaseDesk(Base):  # type: ignore[misc]
    """The desk's view of a case: its staff-facing status, assignee and stage."""

    __tablename__ = "ppa_case_desk"

    case_id = Column(String(20), ForeignKey("ppa_cases.case_id"), primary_key=True)
    desk_status = Column(String(16), nullable=False)
    assignee_id = Column(Integer, ForeignKey("ppa_staff.id"), nullable=True)
    stage = Column(Integer, nullable=False, default=2)
    updated_at = Column(UTCDateTime, nullable=False)


class CaseNote(Base):  # type: ignore[misc]
    """A staff entry on a case: note, status change, assignment, escalation, message."""

    __tablename__ = "ppa_case_notes"

    id = Column(Integer, primary_key=True, autoincrement=True)
    case_id = Column(String(20), ForeignKey("ppa_cases.case_id"), nullable=False, index=True)
    staff_id = Column(Integer, ForeignKey("ppa_staff.id"), nullable=True)
    kind = Column(String(16), nullable=False)
    text = Column(Text, nullable=False, default="")
    created_at = Column(UTCDateTime, nullable=False)


class AuditEntry(Base):  # type: ignore[misc]
    """Who looked at or changed what, when: every staff view of PII is written here."""

    __tablename__ = "ppa_audit_log"

    id = Column(Integer, primary_key=True, autoincrement=True)
    staff_name = Column(String(64), nullable=False, index=True)
    action = Column(String(32), nullable=False)
    target = Column(Text, nullable=False)
    created_at = Column(UTCDateTime, nullable=False, index=True)


# -- NLU review (migrations 0005, 0006) ----------------------------------------------------

# Asked to rephrase / handed off after a second miss / a request the DomainGate turned
# into out_of_scope (migration 0006).
MISS_KINDS = ("fallback", "handoff", "gated")


class NluMiss(Base):  # type: ignore[misc]
    """A message the bot did not understand, masked, for review and retraining."""

    __tablename__ = "ppa_nlu_misses"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(255), nullable=False)
    text = Column(Text, nullable=False)
    kind = Column(String(16), nullable=False)
    guess = Column(String(64), nullable=True)
    confidence = Column(Float, nullable=True)
    label = Column(String(64), nullable=True)
    created_at = Column(UTCDateTime, nullable=False, index=True)

    __table_args__ = (CheckConstraint(_in("kind", MISS_KINDS), name="kind"),)
