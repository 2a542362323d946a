"""Shared fixtures: a fresh database per test, on SQLite and on PostgreSQL.

``blank_db_url`` is an empty database, ``db_url`` the same after ``migrate.upgrade``,
``db`` a ``Database`` on it. All three are parametrized ``sqlite`` / ``postgresql``;
select one backend with ``-k sqlite`` or ``-k postgresql``.
"""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from bot.store import Database
from bot.store.migrate import upgrade
from harness.pg_server import PgCluster, PgUnavailable

if TYPE_CHECKING:
    from rasa.core.agent import Agent

BACKENDS = ("sqlite", "postgresql")
_SAFE_NAME = re.compile(r"test_[0-9a-f]{32}")


def sqlite_url(directory: Path) -> str:
    """A SQLite URL for a file in ``directory``."""
    return f"sqlite:///{directory / 'ppa-test.db'}"


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """A URL for a superuser on a PostgreSQL server that may create databases.

    ``PPA_TEST_PG_URL`` (an admin URL, e.g. ``postgresql://postgres@127.0.0.1:5432/postgres``)
    when set, else a throwaway cluster for the session. When no server can be had the
    PostgreSQL tests are skipped, unless ``PPA_REQUIRE_PG=1`` makes that a failure.
    """
    configured = os.environ.get("PPA_TEST_PG_URL")
    if configured:
        yield configured
        return
    try:
        cluster = PgCluster().start()
    except (PgUnavailable, OSError, subprocess.TimeoutExpired) as error:
        reason = f"no PostgreSQL for tests: {error}"
        if os.environ.get("PPA_REQUIRE_PG") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield cluster.url
    finally:
        cluster.stop()


def _admin_execute(admin_url: str, sql: str) -> None:
    # CREATE / DROP DATABASE cannot run inside a transaction.
    engine = create_engine(admin_url, future=True, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(sql)
    finally:
        engine.dispose()


def _pg_database(admin_url: str) -> Iterator[str]:
    name = f"test_{uuid.uuid4().hex}"
    assert _SAFE_NAME.fullmatch(name)  # it is spliced into DDL below
    _admin_execute(admin_url, f'CREATE DATABASE "{name}"')
    try:
        rendered: str = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        yield rendered
    finally:
        _admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend under test."""
    name: str = request.param
    return name


@pytest.fixture
def blank_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty (unmigrated) database."""
    if backend == "sqlite":
        yield sqlite_url(tmp_path)
        return
    admin_url: str = request.getfixturevalue("pg_admin_url")
    yield from _pg_database(admin_url)


@pytest.fixture
def db_url(blank_db_url: str) -> str:
    """A fresh database migrated to the latest revision."""
    upgrade(blank_db_url)
    return blank_db_url


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """A ``Database`` on a fresh migrated database, disposed after the test."""
    database = Database(db_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The Rasa model, trained once per data change (``make test`` trains it first)."""
    from harness.model import ensure_trained_model

    return ensure_trained_model()


@pytest.fixture(scope="session")
def model_agent(trained_model: Path) -> Agent:
    """The trained model loaded once in this process (``rasa test core``, NLU scores).

    Loading it costs about as much as parsing a held-out set; the tests only read it.
    """
    from bot.nlu.evaluate import load_agent

    return load_agent(trained_model)
