"""Alembic environment for the ``ppa_`` tables.

Run through :func:`bot.store.migrate.upgrade`, which passes an open connection in
``config.attributes["connection"]``; a URL in the config is the fallback.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from bot.store.migrate import TABLE_PREFIX, VERSION_TABLE
from bot.store.models import metadata

config = context.config


def _include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    # Rasa's tracker tables live in the same database: never autogenerate against them.
    return type_ != "table" or (name or "").startswith(TABLE_PREFIX)


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        include_object=_include_object,
        compare_type=True,
        **kwargs,
    )


def _run_online(connection: Any) -> None:
    # Batch mode lets later ALTERs work on SQLite, which rebuilds tables to alter them.
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of executing it."""
    _configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against the connection handed over by ``migrate.upgrade`` (or the config URL)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_online(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=NullPool)
    try:
        with engine.begin() as conn:
            _run_online(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
