"""Table definitions. Every table is prefixed ``ppa_``: Rasa's tracker tables share the database.

Only the repositories (``contracts``, ``cases``, ``outbox``) query these classes; everything else sees plain dataclasses.
The schema itself is created by the Alembic migrations, never from this module.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
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
EVENT_KINDS = ("opened", "info_added", "escalated", "closed")
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
