"""Messages the bot did not understand, for ``python -m bot nlu review`` (issue #13 §4).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04

Written by hand and frozen: must not import from ``bot.store.models``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``ppa_nlu_misses``."""
    op.create_table(
        "ppa_nlu_misses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("guess", sa.String(64), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("label", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ppa_nlu_misses"),
        sa.CheckConstraint("kind IN ('fallback', 'handoff')", name="ck_ppa_nlu_misses_kind"),
    )
    op.create_index("ix_ppa_nlu_misses_created_at", "ppa_nlu_misses", ["created_at"])


def downgrade() -> None:
    """Drop ``ppa_nlu_misses``."""
    op.drop_index("ix_ppa_nlu_misses_created_at", table_name="ppa_nlu_misses")
    op.drop_table("ppa_nlu_misses")
