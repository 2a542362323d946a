"""The database handle: one async engine per URL, one session per unit of work.

Nothing here creates tables (``bot.store.migrate`` does) and nothing connects until a
session runs its first statement.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker

if TYPE_CHECKING:
    from bot.config import Settings

DEFAULT_BUSY_TIMEOUT_S = 30.0
DEFAULT_CONNECT_TIMEOUT_S = 10.0

# backend -> (sync driver, async driver); every accepted drivername maps to a backend.
_DRIVERS = {
    "sqlite": ("sqlite", "sqlite+aiosqlite"),
    "postgresql": ("postgresql+psycopg2", "postgresql+asyncpg"),
}
_BACKENDS = {
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
    "sqlite+aiosqlite": "sqlite",
    "postgres": "postgresql",
    "postgresql": "postgresql",
    "postgresql+psycopg2": "postgresql",
    "postgresql+asyncpg": "postgresql",
}

_json_dumps = functools.partial(json.dumps, ensure_ascii=False)


class StoreUnavailable(RuntimeError):
    """The database cannot be reached or used right now; nothing was written."""


def _parse(url: str) -> tuple[URL, str]:
    parsed = make_url(url)
    backend = _BACKENDS.get(parsed.drivername)
    if backend is None:
        supported = ", ".join(sorted(_BACKENDS))
        raise ValueError(f"unsupported database URL scheme {parsed.drivername!r} ({supported})")
    return parsed, backend


def _render(url: URL, drivername: str) -> str:
    rendered: str = url.set(drivername=drivername).render_as_string(hide_password=False)
    return rendered


def to_sync_url(url: str) -> str:
    """The URL for synchronous drivers (Alembic, Rasa's SQL tracker store)."""
    parsed, backend = _parse(url)
    return _render(parsed, _DRIVERS[backend][0])


def to_async_url(url: str) -> str:
    """The URL for asyncio drivers (aiosqlite, asyncpg)."""
    parsed, backend = _parse(url)
    return _render(parsed, _DRIVERS[backend][1])


def backend_of(url: str) -> str:
    """``sqlite`` or ``postgresql``."""
    return _parse(url)[1]


def is_unavailable(error: BaseException) -> bool:
    """True for errors that mean "the database is unreachable or busy", not "bad data"."""
    if isinstance(error, (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)):
        return True
    if isinstance(error, exc.DBAPIError):
        return bool(error.connection_invalidated)
    return isinstance(error, (OSError, asyncio.TimeoutError))


def unavailable(error: BaseException) -> StoreUnavailable:
    """A ``StoreUnavailable`` describing ``error`` without SQL parameters (they hold PII)."""
    cause = getattr(error, "orig", None) or error
    return StoreUnavailable(f"database unavailable: {type(cause).__name__}: {cause}".strip())


# Execution option of a read-only transaction (see configure_sqlite).
READ_ONLY = "ppa_read_only"


class Database:
    """An async engine for one URL; hand out a fresh session per unit of work."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
        connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
    ) -> None:
        """An engine for ``url``; lock wait (SQLite) and connect timeout (PostgreSQL) in s."""
        self.backend = backend_of(url)
        self.sync_url = to_sync_url(url)
        self.async_url = to_async_url(url)
        options: dict[str, Any] = {
            "echo": echo,
            "future": True,
            # Statement parameters carry phones and e-mails; keep them out of errors and logs.
            "hide_parameters": True,
            "json_serializer": _json_dumps,
        }
        if self.backend == "postgresql":
            options["connect_args"] = {"timeout": connect_timeout_s}
            options["pool_pre_ping"] = True
        self.engine: AsyncEngine = create_async_engine(self.async_url, **options)
        self._sqlite_file: str | None = None
        if self.backend == "sqlite":
            configure_sqlite(self.engine.sync_engine, busy_timeout_s)
            database = make_url(self.async_url).database
            if database and database != ":memory:" and not database.startswith("file:"):
                self._sqlite_file = os.path.abspath(database)
        self._sessions = sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False, future=True
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        """The database named by ``settings.db_url``."""
        return cls(settings.db_url)

    def session(self) -> AsyncSession:
        """A new session; use ``async with db.session() as s, s.begin():``."""
        session: AsyncSession = self._sessions()
        return session

    @asynccontextmanager
    async def transaction(self, *, read_only: bool = False) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction, committed on success, rolled back on error.

        Connection and operational failures surface as :class:`StoreUnavailable`.
        """
        self._check_sqlite_path()
        options = {READ_ONLY: True} if read_only else {}
        try:
            async with self.session() as session, session.begin():
                try:
                    await session.connection(execution_options=options)
                except Exception as error:
                    # Drivers raise their own types while connecting (asyncpg's
                    # InvalidCatalogNameError, ConnectionRefusedError...): all mean "unavailable".
                    raise unavailable(error) from error
                yield session
        except StoreUnavailable:
            raise
        except Exception as error:
            if is_unavailable(error):
                raise unavailable(error) from error
            raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """Like :meth:`transaction`, for reads only: on SQLite it takes no write lock.

        Hot paths that only look (the handoff gate on every customer message, the
        desk's inbox polling) must not queue Rasa's tracker writes behind them.
        """
        async with self.transaction(read_only=True) as session:
            yield session

    def _check_sqlite_path(self) -> None:
        # sqlite3 cannot create a file without a writable directory. Failing here,
        # before aiosqlite starts, also avoids its worker thread reporting a failed
        # connect to an event loop that a short-lived caller (the CLI) already closed.
        if self._sqlite_file is None:
            return
        directory = os.path.dirname(self._sqlite_file)
        if not os.path.isdir(directory):
            problem = f"directory {directory} does not exist"
        elif os.path.isdir(self._sqlite_file):
            problem = f"{self._sqlite_file} is a directory"
        elif not os.path.exists(self._sqlite_file) and not os.access(directory, os.W_OK):
            problem = f"directory {directory} is not writable"
        else:
            return
        raise StoreUnavailable(f"database unavailable: unable to open database file ({problem})")

    async def dispose(self) -> None:
        """Close all pooled connections."""
        await self.engine.dispose()

    def __repr__(self) -> str:
        """The URL without its password."""
        return f"Database({make_url(self.async_url)!r})"


def _enable_wal(cursor: Any, busy_timeout_s: float) -> None:
    """Switch the file to WAL (persistent), retrying while another connection holds it.

    Changing the journal mode needs an exclusive lock and SQLite does not always call
    the busy handler for it, so a connection opened while another one migrates a fresh
    file would fail at once with "database is locked".
    """
    deadline = time.monotonic() + busy_timeout_s
    while True:
        try:
            cursor.execute("PRAGMA journal_mode")
            mode = cursor.fetchone()[0]
            if str(mode).lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except Exception as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def configure_sqlite(engine: Engine, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S) -> None:
    """WAL, foreign keys, a busy timeout and BEGIN IMMEDIATE for every connection of ``engine``."""
    busy_ms = int(busy_timeout_s * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module: it defers BEGIN,
        # which breaks SAVEPOINTs (see SQLAlchemy's pysqlite "Serializable isolation").
        try:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
                _enable_wal(cursor, busy_timeout_s)
                cursor.execute("PRAGMA foreign_keys = ON")
            finally:
                cursor.close()
        except Exception:
            # The pool does not close a connection whose connect event failed, and an
            # open aiosqlite connection is a non-daemon thread that blocks interpreter exit.
            dbapi_connection.close()
            raise

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front, so concurrent writers queue on the
        # busy timeout; a deferred read-then-write would fail at once with SQLITE_BUSY.
        # A read-only transaction (Database.read) begins deferred: under WAL it never
        # blocks a writer.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
