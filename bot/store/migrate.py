"""Schema migrations, run programmatically (no alembic.ini at the project root).

``python -m bot db upgrade`` calls :func:`upgrade`; so do deployment scripts and tests.
Upgrading an up-to-date database is a no-op.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, exc
from sqlalchemy.engine import Connection, Engine

from bot.store.database import (
    DEFAULT_BUSY_TIMEOUT_S,
    DEFAULT_CONNECT_TIMEOUT_S,
    backend_of,
    configure_sqlite,
    is_unavailable,
    to_sync_url,
    unavailable,
)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
TABLE_PREFIX = "ppa_"
# Our own version table: Rasa or another tool may run Alembic in the same database.
VERSION_TABLE = "ppa_alembic_version"
# Serialises concurrent upgrades on PostgreSQL (two replicas starting at once).
_PG_LOCK_ID = 0x50504101

T = TypeVar("T")


def alembic_config(db_url: str) -> Config:
    """An Alembic ``Config`` for ``db_url`` pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolates "%"; URL-encoded passwords contain it.
    config.set_main_option("sqlalchemy.url", to_sync_url(db_url).replace("%", "%%"))
    return config


def _sync_engine(db_url: str) -> Engine:
    sync_url = to_sync_url(db_url)
    if backend_of(db_url) == "sqlite":
        engine = create_engine(sync_url, future=True)
        configure_sqlite(engine, DEFAULT_BUSY_TIMEOUT_S)
        return engine
    return create_engine(
        sync_url, future=True, connect_args={"connect_timeout": int(DEFAULT_CONNECT_TIMEOUT_S)}
    )


def _run(db_url: str, action: Callable[[Config, Connection], T]) -> T:
    """Run ``action`` in one transaction on a short-lived sync engine."""
    config = alembic_config(db_url)
    engine = _sync_engine(db_url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_ID})")
            config.attributes["connection"] = connection
            return action(config, connection)
    except exc.SQLAlchemyError as error:
        if is_unavailable(error):
            raise unavailable(error) from error
        raise
    except OSError as error:
        raise unavailable(error) from error
    finally:
        engine.dispose()


def upgrade(db_url: str, revision: str = "head") -> None:
    """Bring the ``ppa_`` tables of ``db_url`` (sync or async URL) up to ``revision``."""
    _run(db_url, lambda config, _conn: command.upgrade(config, revision))


def downgrade(db_url: str, revision: str) -> None:
    """Go back to ``revision`` ("base" drops every ``ppa_`` table)."""
    _run(db_url, lambda config, _conn: command.downgrade(config, revision))


def current_revision(db_url: str) -> str | None:
    """The revision the database is at, or ``None`` before the first upgrade."""

    def read(_config: Config, connection: Connection) -> str | None:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        revision: str | None = context.get_current_revision()
        return revision

    return _run(db_url, read)


def head_revision() -> str:
    """The newest revision of the packaged migrations (what ``upgrade`` reaches)."""
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    head = script.get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations under {MIGRATIONS_DIR}")
    return head
