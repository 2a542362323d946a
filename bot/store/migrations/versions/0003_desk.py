"""Service desk: staff, handoffs and their messages, CSAT, case desk state, audit log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

Written by hand and frozen, like 0001: it must not import from ``bot.store.models``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
OPEN = "status IN ('waiting', 'active')"


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=f"pk_{table}")


def _fk(table: str, column: str, target: str, ondelete: str | None = None) -> sa.Constraint:
    referred, _ = target.split(".")
    return sa.ForeignKeyConstraint(
        [column], [target], name=f"fk_{table}_{column}_{referred}", ondelete=ondelete
    )


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), autoincrement=True, nullable=False)


def upgrade() -> None:
    """Create the desk tables."""
    op.create_table(
        "ppa_staff",
        _id(),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("available", sa.Boolean(), nullable=False),
        _ts("created_at"),
        _pk("ppa_staff"),
        sa.UniqueConstraint("name", name="uq_ppa_staff_name"),
        sa.CheckConstraint("role IN ('agent', 'supervisor')", name="ck_ppa_staff_role"),
    )
    op.create_table(
        "ppa_handoffs",
        _id(),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.String(20), nullable=True),
        sa.Column("product", sa.Text(), nullable=True),
        sa.Column("severity", sa.Integer(), nullable=True),
        sa.Column("callback_phone", sa.Text(), nullable=True),
        sa.Column("context", JSON, nullable=False),
        sa.Column("last_customer_message", sa.Text(), nullable=True),
        _ts("requested_at"),
        _ts("taken_at", nullable=True),
        _ts("closed_at", nullable=True),
        _ts("updated_at"),
        _pk("ppa_handoffs"),
        _fk("ppa_handoffs", "agent_id", "ppa_staff.id"),
        sa.CheckConstraint(
            "status IN ('waiting', 'active', 'closed', 'callback')", name="ck_ppa_handoffs_status"
        ),
    )
    op.create_index("ix_ppa_handoffs_conversation_id", "ppa_handoffs", ["conversation_id"])
    op.create_index("ix_ppa_handoffs_requested_at", "ppa_handoffs", ["requested_at"])
    op.create_index("ix_ppa_handoffs_updated_at", "ppa_handoffs", ["updated_at"])
    op.create_index(
        "ix_ppa_handoffs_one_open",
        "ppa_handoffs",
        ["conversation_id"],
        unique=True,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )
    op.create_table(
        "ppa_handoff_messages",
        _id(),
        sa.Column("handoff_id", sa.Integer(), nullable=True),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("author", sa.String(16), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("delivery", sa.String(16), nullable=False),
        _ts("created_at"),
        _pk("ppa_handoff_messages"),
        _fk("ppa_handoff_messages", "handoff_id", "ppa_handoffs.id", ondelete="CASCADE"),
        _fk("ppa_handoff_messages", "agent_id", "ppa_staff.id"),
        sa.CheckConstraint(
            "author IN ('customer', 'agent', 'system')", name="ck_ppa_handoff_messages_author"
        ),
        sa.CheckConstraint(
            "delivery IN ('sent', 'pending', 'failed', 'none')",
            name="ck_ppa_handoff_messages_delivery",
        ),
    )
    op.create_index("ix_ppa_handoff_messages_handoff_id", "ppa_handoff_messages", ["handoff_id"])
    op.create_index(
        "ix_ppa_handoff_messages_conversation_id", "ppa_handoff_messages", ["conversation_id"]
    )
    op.create_table(
        "ppa_csat",
        _id(),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        _ts("asked_at"),
        _ts("expires_at"),
        _ts("answered_at", nullable=True),
        _pk("ppa_csat"),
        _fk("ppa_csat", "handoff_id", "ppa_handoffs.id", ondelete="CASCADE"),
        sa.UniqueConstraint("handoff_id", name="uq_ppa_csat_handoff_id"),
        sa.CheckConstraint("state IN ('asked', 'answered', 'expired')", name="ck_ppa_csat_state"),
        sa.CheckConstraint("score IS NULL OR score BETWEEN 1 AND 5", name="ck_ppa_csat_score"),
    )
    op.create_index("ix_ppa_csat_conversation_id", "ppa_csat", ["conversation_id"])
    op.create_table(
        "ppa_case_desk",
        sa.Column("case_id", sa.String(20), nullable=False),
        sa.Column("desk_status", sa.String(16), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("stage", sa.Integer(), nullable=False),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("case_id", name="pk_ppa_case_desk"),
        _fk("ppa_case_desk", "case_id", "ppa_cases.case_id"),
        _fk("ppa_case_desk", "assignee_id", "ppa_staff.id"),
    )
    op.create_table(
        "ppa_case_notes",
        _id(),
        sa.Column("case_id", sa.String(20), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _ts("created_at"),
        _pk("ppa_case_notes"),
        _fk("ppa_case_notes", "case_id", "ppa_cases.case_id"),
        _fk("ppa_case_notes", "staff_id", "ppa_staff.id"),
    )
    op.create_index("ix_ppa_case_notes_case_id", "ppa_case_notes", ["case_id"])
    op.create_table(
        "ppa_audit_log",
        _id(),
        sa.Column("staff_name", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        _ts("created_at"),
        _pk("ppa_audit_log"),
    )
    op.create_index("ix_ppa_audit_log_staff_name", "ppa_audit_log", ["staff_name"])
    op.create_index("ix_ppa_audit_log_created_at", "ppa_audit_log", ["created_at"])


def downgrade() -> None:
    """Drop the desk tables."""
    for table in (
        "ppa_audit_log",
        "ppa_case_notes",
        "ppa_case_desk",
        "ppa_csat",
        "ppa_handoff_messages",
        "ppa_handoffs",
        "ppa_staff",
    ):
        op.drop_table(table)
