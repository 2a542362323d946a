"""A third kind of NLU miss: ``gated``, a request the DomainGate turned into ``out_of_scope``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

Written by hand and frozen: must not import from ``bot.store.models``. SQLite cannot
alter a CHECK constraint, so the table is copied (Alembic's batch mode) from the
definition below, which names the old constraint so it can be dropped.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "ppa_nlu_misses"
# 0005 named its check "ck_ppa_nlu_misses_kind" and the naming convention prefixed it
# again; from this revision on it has the name the models give it.
OLD_CONSTRAINT = "ck_ppa_nlu_misses_ck_ppa_nlu_misses_kind"
NEW_CONSTRAINT = "ck_ppa_nlu_misses_kind"
OLD_KINDS = "kind IN ('fallback', 'handoff')"
NEW_KINDS = "kind IN ('fallback', 'handoff', 'gated')"


def _table(constraint: str, kinds: str) -> sa.Table:
    """``ppa_nlu_misses`` as 0005 (or this revision) left it, for SQLite's table copy."""
    return sa.Table(
        TABLE,
        sa.MetaData(),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("guess", sa.String(64), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("label", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ppa_nlu_misses"),
        sa.CheckConstraint(kinds, name=constraint),
        sa.Index("ix_ppa_nlu_misses_created_at", "created_at"),
    )


def _replace_check(old: tuple[str, str], new: tuple[str, str]) -> None:
    """Swap the check ``old`` (name, condition) for ``new``."""
    with op.batch_alter_table(TABLE, copy_from=_table(*old)) as batch:
        # op.f: the names are final; the naming convention must not prefix them again.
        batch.drop_constraint(op.f(old[0]), type_="check")
        batch.create_check_constraint(op.f(new[0]), new[1])


def upgrade() -> None:
    """Allow ``kind = 'gated'``."""
    _replace_check((OLD_CONSTRAINT, OLD_KINDS), (NEW_CONSTRAINT, NEW_KINDS))


def downgrade() -> None:
    """Drop the gated rows (0005 cannot hold them) and restore the old check."""
    op.execute(sa.text("DELETE FROM ppa_nlu_misses WHERE kind = 'gated'"))
    _replace_check((NEW_CONSTRAINT, NEW_KINDS), (OLD_CONSTRAINT, OLD_KINDS))
