"""Production profile: two Rasa servers on one PostgreSQL and one Redis lock store.

One conversation's messages go alternately to both servers: no event is lost, the
order is kept, and exactly one case is opened.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from harness.servers import free_port, make_stack
from tests.channels.redis_server import redis_server
from tests.e2e.test_conversations import case_rows, texts

pytestmark = pytest.mark.timeout(1800)


@pytest.fixture(scope="module")
def redis_port() -> Iterator[int]:
    with redis_server() as port:
        yield port


@pytest.fixture(scope="module")
def pg_db_url(pg_admin_url: str) -> Iterator[str]:
    name = f"cluster_{uuid.uuid4().hex}"
    admin = create_engine(pg_admin_url, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def test_alternating_servers_keep_one_conversation(
    trained_model, tmp_path_factory, pg_db_url, redis_port
):
    lock = f"lock_store:\n  type: redis\n  url: 127.0.0.1\n  port: {redis_port}\n  db: 1\n"
    stack = make_stack(tmp_path_factory.mktemp("cluster"), trained_model, pg_db_url, lock)
    second = free_port()
    try:
        stack.start_actions()
        stack.start_rasa("rasa", stack.rasa_port)
        stack.start_rasa("rasa2", second)
        ports = [stack.rasa_port, second]
        sender = "cluster-1"
        turns = [
            "生产库DB2 11.5.8 在AIX 7.2上起不来，报SQL1042C，急！",
            "王集群",
            "演示科技有限公司",
            "13800000001",
            "PPA-DEMO-0001",
            "FP7",
            "单实例",
            "没有",
            "每次启动",
            "重启服务器",
            "执行 db2start",
            "好",
            "确认",
        ]
        replies = [texts(stack.say(sender, t, ports[i % 2])) for i, t in enumerate(turns)]
        assert "PMR-" in replies[-1], replies[-3:]
        assert len([r for r in case_rows(stack.db_url) if r["sender_id"] == sender]) == 1
        engine = create_engine(pg_db_url, future=True)
        with engine.connect() as conn:
            users = conn.execute(
                text(
                    "SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' ORDER BY id"
                ),
                {"s": sender},
            ).all()
        engine.dispose()
        said = [__import__("json").loads(row[0])["text"] for row in users]
        assert said == turns  # every message stored once, in order
    finally:
        stack.stop_all()
