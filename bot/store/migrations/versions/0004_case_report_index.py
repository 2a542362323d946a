"""Indexes for the desk's pages on 10 000s of cases (measured by ``python -m bench.desk``).

* reports: every case of the period grouped by severity, product and day — a covering
  index, so the database reads the index alone, not every case row;
* case queue: most urgent first (severity, due time) — read in index order, no sort;
* conversation page: the customer's cases by ``sender_id`` — no scan of every case.

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

INDEXES = {
    "ix_ppa_cases_report": ["created_at", "severity", "product"],
    "ix_ppa_cases_queue": ["severity", "response_due_at", "id"],
    "ix_ppa_cases_sender_id": ["sender_id"],
}


def upgrade() -> None:
    """Create the indexes."""
    for name, columns in INDEXES.items():
        op.create_index(name, "ppa_cases", columns)


def downgrade() -> None:
    """Drop the indexes."""
    for name in INDEXES:
        op.drop_index(name, table_name="ppa_cases")
