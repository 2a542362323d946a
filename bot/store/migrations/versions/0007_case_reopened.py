"""A fifth kind of case event: ``reopened``, a closed case worked again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

Written by hand and frozen: must not import from ``bot.store.models``. SQLite cannot
alter a CHECK constraint, so the table is copied (Alembic's batch mode) from the
definition below, which names the old constraint so it can be dropped.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "ppa_case_events"
# 0001 named its check "ck_ppa_case_events_kind" and the naming convention prefixed it
# again; from this revision on it has the name the models give it.
OLD_CONSTRAINT = "ck_ppa_case_events_ck_ppa_case_events_kind"
NEW_CONSTRAINT = "ck_ppa_case_events_kind"
OLD_KINDS = "kind IN ('opened', 'info_added', 'escalated', 'closed')"
NEW_KINDS = "kind IN ('opened', 'info_added', 'escalated', 'closed', 'reopened')"


def _table(constraint: str, kinds: str) -> sa.Table:
    """``ppa_case_events`` as 0001 (or this revision) left it, for SQLite's table copy."""
    return sa.Table(
        TABLE,
        sa.MetaData(),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_pk", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ppa_case_events"),
        sa.ForeignKeyConstraint(
            ["case_pk"],
            ["ppa_cases.id"],
            name="fk_ppa_case_events_case_pk_ppa_cases",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(kinds, name=constraint),
        sa.Index("ix_ppa_case_events_case_pk", "case_pk"),
    )


def _replace_check(old: tuple[str, str], new: tuple[str, str]) -> None:
    """Swap the check ``old`` (name, condition) for ``new``."""
    with op.batch_alter_table(TABLE, copy_from=_table(*old)) as batch:
        # op.f: the names are final; the naming convention must not prefix them again.
        batch.drop_constraint(op.f(old[0]), type_="check")
        batch.create_check_constraint(op.f(new[0]), new[1])


def upgrade() -> None:
    """Allow ``kind = 'reopened'``."""
    _replace_check((OLD_CONSTRAINT, OLD_KINDS), (NEW_CONSTRAINT, NEW_KINDS))


def downgrade() -> None:
    """Keep a reopening's words as an addition (0006 cannot hold the kind)."""
    op.execute(sa.text("UPDATE ppa_case_events SET kind = 'info_added' WHERE kind = 'reopened'"))
    _replace_check((NEW_CONSTRAINT, NEW_KINDS), (OLD_CONSTRAINT, OLD_KINDS))
