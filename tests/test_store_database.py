"""bot.store.database: URLs, sessions, SQLite settings, and StoreUnavailable."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from bot.config import DEFAULT_DB_PATH, Settings
from bot.store import Database, StoreUnavailable
from bot.store import models as m
from bot.store.contracts import ContractRepository
from bot.store.database import DEFAULT_BUSY_TIMEOUT_S, to_async_url, to_sync_url
from harness.servers import free_port
from tests.conftest import sqlite_url


def _now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.mark.parametrize(
    ("url", "sync", "async_"),
    [
        ("sqlite:///var/ppa.db", "sqlite:///var/ppa.db", "sqlite+aiosqlite:///var/ppa.db"),
        (
            "sqlite+aiosqlite:////abs/ppa.db",
            "sqlite:////abs/ppa.db",
            "sqlite+aiosqlite:////abs/ppa.db",
        ),
        ("sqlite+pysqlite:///x.db", "sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        (
            "postgresql://u:p@h:5432/ppa",
            "postgresql+psycopg2://u:p@h:5432/ppa",
            "postgresql+asyncpg://u:p@h:5432/ppa",
        ),
        (
            "postgresql+psycopg2://u@h/ppa",
            "postgresql+psycopg2://u@h/ppa",
            "postgresql+asyncpg://u@h/ppa",
        ),
        (
            "postgresql+asyncpg://u@h/ppa",
            "postgresql+psycopg2://u@h/ppa",
            "postgresql+asyncpg://u@h/ppa",
        ),
        ("postgres://u@h/ppa", "postgresql+psycopg2://u@h/ppa", "postgresql+asyncpg://u@h/ppa"),
    ],
)
def test_url_forms(url: str, sync: str, async_: str) -> None:
    assert to_sync_url(url) == sync
    assert to_async_url(url) == async_
    database = Database(url)
    assert (database.sync_url, database.async_url) == (sync, async_)


def test_url_keeps_encoded_password() -> None:
    url = "postgresql://ppa:p%40ss%2Fw%25rd@db.internal/ppa"
    assert make_url(to_async_url(url)).password == "p@ss/w%rd"
    assert "p%40ss" not in repr(Database(url))  # repr hides the password


def test_unsupported_url_is_refused() -> None:
    with pytest.raises(ValueError, match="mysql"):
        Database("mysql://u@h/db")


def test_settings_from_env() -> None:
    settings = Settings.from_env(
        {
            "PPA_DB_URL": " postgresql://ppa@db/ppa ",
            "PPA_TIMEZONE": "UTC",
            "PPA_RENEWAL_PHONE": "400-000-0000",
            "CASE_NOTIFY_URLS": " https://a.example.com/hook , ,https://b.example.com/hook ",
            "CASE_NOTIFY_SECRET": "s3cret",
        }
    )
    assert settings.db_url == "postgresql://ppa@db/ppa"
    assert settings.timezone == "UTC"
    assert settings.renewal_phone == "400-000-0000"
    assert settings.case_notify_urls == ("https://a.example.com/hook", "https://b.example.com/hook")
    assert settings.case_notify_secret == "s3cret"
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.db_url = "x"  # type: ignore[misc]


def test_settings_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.db_url == f"sqlite:///{DEFAULT_DB_PATH}"
    assert DEFAULT_DB_PATH.parent.is_dir()
    assert (settings.timezone, settings.renewal_phone) == ("Asia/Shanghai", "")
    assert (settings.case_notify_urls, settings.case_notify_secret) == ((), "")


def test_from_settings() -> None:
    settings = Settings.from_env({"PPA_DB_URL": "sqlite:///some.db"})
    assert Database.from_settings(settings).async_url == "sqlite+aiosqlite:///some.db"


async def test_construction_creates_nothing(blank_db_url: str) -> None:
    database = Database(blank_db_url)
    async with database.session() as session, session.begin():
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
    tables = await _table_names(database)
    await database.dispose()
    assert not any(name.startswith("ppa_") for name in tables)


async def _table_names(database: Database) -> list[str]:
    async with database.engine.connect() as connection:
        names: list[str] = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        return names


async def test_session_is_new_per_unit_of_work(db: Database) -> None:
    first, second = db.session(), db.session()
    assert first is not second
    await first.close()
    await second.close()


async def test_sqlite_pragmas(tmp_path: Path) -> None:
    database = Database(sqlite_url(tmp_path))
    async with database.session() as session, session.begin():
        mode = (await session.execute(text("PRAGMA journal_mode"))).scalar_one()
        busy = (await session.execute(text("PRAGMA busy_timeout"))).scalar_one()
        fks = (await session.execute(text("PRAGMA foreign_keys"))).scalar_one()
    await database.dispose()
    assert mode == "wal"
    assert busy >= 30_000 and busy == DEFAULT_BUSY_TIMEOUT_S * 1000
    assert fks == 1


async def test_transaction_rolls_back_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        async with db.transaction() as session:
            await session.execute(
                insert(m.Customer).values(customer_number="1", company="x", updated_at=_now())
            )
            raise RuntimeError("boom")
    async with db.transaction() as session:
        assert (await session.execute(select(m.Customer))).first() is None


async def test_integrity_error_is_not_unavailability(db: Database) -> None:
    values = {"customer_number": "1", "company": "x", "updated_at": _now()}
    async with db.transaction() as session:
        await session.execute(insert(m.Customer).values(**values))
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            await session.execute(insert(m.Customer).values(**values))


async def test_concurrent_writers_wait_instead_of_failing(db: Database) -> None:
    """A writer holding the database does not make other writers fail (SQLite's busy wait)."""

    async def writer(number: int, hold_s: float) -> None:
        async with db.transaction() as session:
            await session.execute(
                insert(m.Customer).values(
                    customer_number=str(number), company="c", updated_at=_now()
                )
            )
            await asyncio.sleep(hold_s)

    await asyncio.gather(writer(0, 0.5), *(writer(n, 0.01) for n in range(1, 11)))
    async with db.transaction() as session:
        assert len((await session.execute(select(m.Customer))).all()) == 11


async def test_closed_postgres_port_is_unavailable() -> None:
    database = Database(f"postgresql://postgres@127.0.0.1:{free_port()}/ppa")
    with pytest.raises(StoreUnavailable):
        await ContractRepository(database).get("PPA-1")
    await database.dispose()


async def test_missing_postgres_database_is_unavailable(pg_admin_url: str) -> None:
    url = make_url(pg_admin_url).set(database="no_such_database_here")
    database = Database(url.render_as_string(hide_password=False))
    with pytest.raises(StoreUnavailable):
        await ContractRepository(database).get("PPA-1")
    await database.dispose()


async def test_sqlite_in_missing_read_only_dir_is_unavailable(tmp_path: Path) -> None:
    read_only = tmp_path / "ro"
    read_only.mkdir()
    read_only.chmod(0o555)
    database = Database(sqlite_url(read_only / "missing"))
    try:
        with pytest.raises(StoreUnavailable, match="unable to open"):
            await ContractRepository(database).get("PPA-1")
    finally:
        await database.dispose()
        read_only.chmod(0o755)


async def test_sqlite_path_is_a_directory(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path}")
    with pytest.raises(StoreUnavailable, match="is a directory"):
        await ContractRepository(database).get("PPA-1")
    await database.dispose()


async def test_sqlite_driver_failure_is_unavailable(tmp_path: Path) -> None:
    # Not a database at all: the driver's own OperationalError must be translated.
    path = tmp_path / "ppa.db"
    path.write_bytes(b"this is not an SQLite database file" * 100)
    database = Database(f"sqlite:///{path}")
    before = set(threading.enumerate())
    with pytest.raises(StoreUnavailable, match="not a database"):
        await ContractRepository(database).get("PPA-1")
    await database.dispose()
    # The failed connection must be closed: its aiosqlite thread would block interpreter exit.
    for thread in set(threading.enumerate()) - before:
        thread.join(timeout=5)
        assert not thread.is_alive(), f"{thread.name} left running"
