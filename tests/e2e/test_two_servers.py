"""Production profile: two Rasa servers on one PostgreSQL and one Redis lock store.

One conversation's messages go alternately to both servers over REST: no event is
lost, the order is kept, and exactly one case is opened. The servers are conftest's
``cluster`` (shared with test_text_channels, whose channels do not touch REST).
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, text

from harness.servers import Stack
from tests.e2e.cluster import FakeAPIs
from tests.e2e.test_conversations import case_rows, texts

pytestmark = pytest.mark.timeout(1800)


def test_alternating_servers_keep_one_conversation(
    cluster: tuple[Stack, list[int], FakeAPIs], pg_db_url: str
) -> None:
    stack, ports, _ = cluster
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
            text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' ORDER BY id"),
            {"s": sender},
        ).all()
    engine.dispose()
    said = [json.loads(row[0])["text"] for row in users]
    assert said == turns  # every message stored once, in order
