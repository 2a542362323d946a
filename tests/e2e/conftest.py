"""Server stacks for the end-to-end tests, started as few times as the tests allow.

Starting a Rasa server costs about a minute, so the modules share them:

* ``stack``: the action server and one Rasa server (HTTP API enabled, for the desk's
  resume) on a fresh, seeded SQLite database, for every module that only talks to
  it. Tests keep apart by their own sender ids. A module that stops or restarts
  servers defines its own ``stack`` (test_faults) or starts its own (test_launch).
* ``cluster``: the production profile (tests/e2e/cluster.py), for
  test_text_channels and test_two_servers.

Both are package-scoped: stopped when the last e2e module is done.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from harness.servers import REST_ONLY, Stack, make_stack
from tests.channels.redis_server import redis_server
from tests.e2e.channel_users import AES_KEY, APPID, TOKEN, FakeAPIs
from tests.e2e.cluster import running_cluster

WECHAT_SECRET = "handoff-e2e-secret"


def running_stack(
    workdir: Path, model: Path, *rasa_args: str, credentials: str = REST_ONLY
) -> Iterator[Stack]:
    """The real action server and Rasa server on a fresh, seeded SQLite database.

    ``credentials``: the Rasa server's credentials.yml (default: REST only).
    """
    s = make_stack(workdir, model, credentials=credentials)
    s.rasa_args = rasa_args
    try:
        s.start()
        yield s
    finally:
        s.stop_all()


@pytest.fixture(scope="package")
def wechat_api() -> Iterator[FakeAPIs]:
    """The fake WeChat (and Weibo) API the shared stack's WeChat channel talks to."""
    apis = FakeAPIs()
    yield apis
    apis.stop()


@pytest.fixture(scope="package")
def stack(
    trained_model: Path, tmp_path_factory: pytest.TempPathFactory, wechat_api: FakeAPIs
) -> Iterator[Stack]:
    """The shared stack: do not stop, restart or reconfigure its servers.

    Its Rasa server serves REST and WeChat (plain mode, against ``wechat_api``).
    """
    wechat = {
        "token": TOKEN,
        "appid": APPID,
        "appsecret": WECHAT_SECRET,
        "aes_key": AES_KEY,
        "api_base": wechat_api.wechat.base_url,
    }
    credentials = yaml.safe_dump({"rest": None, "bot.channels.wechat.WeChatInput": wechat})
    yield from running_stack(
        tmp_path_factory.mktemp("stack"), trained_model, "--enable-api", credentials=credentials
    )


@pytest.fixture(scope="package")
def redis_port() -> Iterator[int]:
    with redis_server() as port:
        yield port


@pytest.fixture(scope="package")
def pg_db_url(pg_admin_url: str) -> Iterator[str]:
    name = f"cluster_{uuid.uuid4().hex}"
    admin = create_engine(pg_admin_url, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="package")
def cluster(
    trained_model: Path,
    tmp_path_factory: pytest.TempPathFactory,
    pg_db_url: str,
    redis_port: int,
) -> Iterator[tuple[Stack, list[int], FakeAPIs]]:
    """Two Rasa servers (A passive, B through the APIs), PostgreSQL, Redis, fake APIs."""
    workdir = tmp_path_factory.mktemp("cluster")
    with running_cluster(workdir, trained_model, pg_db_url, redis_port) as found:
        yield found
