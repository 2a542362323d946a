"""Initial schema: customers, contracts, cases, case events, notification outbox.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Written by hand and frozen: later schema changes go in new revisions, so this file
must not import from ``bot.store.models``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create the ``ppa_`` tables."""
    op.create_table(
        "ppa_customers",
        sa.Column("customer_number", sa.String(32), nullable=False),
        sa.Column("company", sa.Text(), nullable=False),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("customer_number", name="pk_ppa_customers"),
    )
    op.create_table(
        "ppa_contracts",
        sa.Column("contract_number", sa.String(64), nullable=False),
        sa.Column("customer_number", sa.String(32), nullable=False),
        sa.Column("company", sa.Text(), nullable=False),
        sa.Column("contact_name", sa.Text(), nullable=False),
        sa.Column("contact_email", sa.Text(), nullable=False),
        sa.Column("contact_phone", sa.Text(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("products", JSON, nullable=False),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("contract_number", name="pk_ppa_contracts"),
        sa.ForeignKeyConstraint(
            ["customer_number"],
            ["ppa_customers.customer_number"],
            name="fk_ppa_contracts_customer_number_ppa_customers",
        ),
        sa.CheckConstraint("end_date >= start_date", name="ck_ppa_contracts_dates_ordered"),
    )
    op.create_index("ix_ppa_contracts_customer_number", "ppa_contracts", ["customer_number"])

    op.create_table(
        "ppa_cases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(20), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("product", sa.Text(), nullable=False),
        sa.Column("customer_number", sa.String(32), nullable=True),
        sa.Column("contract_number", sa.String(64), nullable=True),
        sa.Column("contact_name", sa.Text(), nullable=False),
        sa.Column("company", sa.Text(), nullable=False),
        sa.Column("phone", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("sender_id", sa.Text(), nullable=False),
        sa.Column("details", JSON, nullable=False),
        _ts("created_at"),
        _ts("response_due_at"),
        sa.PrimaryKeyConstraint("id", name="pk_ppa_cases"),
        sa.UniqueConstraint("case_id", name="uq_ppa_cases_case_id"),
        sa.UniqueConstraint("idempotency_key", name="uq_ppa_cases_idempotency_key"),
        sa.CheckConstraint("status IN ('open', 'escalated', 'closed')", name="ck_ppa_cases_status"),
        sa.CheckConstraint("severity BETWEEN 1 AND 3", name="ck_ppa_cases_severity"),
    )
    op.create_index("ix_ppa_cases_status", "ppa_cases", ["status"])
    op.create_index("ix_ppa_cases_customer_number", "ppa_cases", ["customer_number"])
    op.create_index("ix_ppa_cases_created_at", "ppa_cases", ["created_at"])

    op.create_table(
        "ppa_case_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_pk", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_ppa_case_events"),
        sa.ForeignKeyConstraint(
            ["case_pk"],
            ["ppa_cases.id"],
            name="fk_ppa_case_events_case_pk_ppa_cases",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "kind IN ('opened', 'info_added', 'escalated', 'closed')",
            name="ck_ppa_case_events_kind",
        ),
    )
    op.create_index("ix_ppa_case_events_case_pk", "ppa_case_events", ["case_pk"])

    op.create_table(
        "ppa_notification_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(20), nullable=False),
        sa.Column("target_url", sa.Text(), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("next_attempt_at", nullable=True),
        _ts("delivered_at", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_ppa_notification_outbox"),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["ppa_cases.case_id"],
            name="fk_ppa_notification_outbox_case_id_ppa_cases",
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'failed')",
            name="ck_ppa_notification_outbox_status",
        ),
    )
    op.create_index("ix_ppa_notification_outbox_case_id", "ppa_notification_outbox", ["case_id"])
    op.create_index(
        "ix_ppa_notification_outbox_due", "ppa_notification_outbox", ["status", "next_attempt_at"]
    )


def downgrade() -> None:
    """Drop the ``ppa_`` tables (Rasa's tables are left alone)."""
    op.drop_table("ppa_notification_outbox")
    op.drop_table("ppa_case_events")
    op.drop_table("ppa_cases")
    op.drop_table("ppa_contracts")
    op.drop_table("ppa_customers")
