"""A covering index for the desk's reports: cases by day, severity and product.

The reports page groups every case of the period (10 000s) by severity, product and
day; with this index the database reads the index alone, not every case row
(measured by ``python -m bench.desk``, README "Benchmarks").

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04

Written by hand and frozen: must not import from ``bot.store.models``.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_ppa_cases_report"


def upgrade() -> None:
    """Create the index."""
    op.create_index(INDEX, "ppa_cases", ["created_at", "severity", "product"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index(INDEX, table_name="ppa_cases")
