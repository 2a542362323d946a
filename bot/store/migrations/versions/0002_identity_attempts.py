"""Failed identity proofs, for the brute-force lock-out (issue #11 §4).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

Written by hand and frozen: must not import from ``bot.store.models``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``ppa_identity_attempts``."""
    op.create_table(
        "ppa_identity_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ppa_identity_attempts"),
        sa.CheckConstraint(
            "scope IN ('conversation', 'case', 'contract')", name="ck_ppa_identity_attempts_scope"
        ),
    )
    op.create_index(
        "ix_ppa_identity_attempts_subject",
        "ppa_identity_attempts",
        ["scope", "subject", "failed_at"],
    )
    op.create_index("ix_ppa_identity_attempts_failed_at", "ppa_identity_attempts", ["failed_at"])


def downgrade() -> None:
    """Drop ``ppa_identity_attempts``."""
    op.drop_table("ppa_identity_attempts")
