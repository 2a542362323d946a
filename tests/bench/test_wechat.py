"""The WeChat load driver against the real WeChat channel (Sanic) and the fake API.

The channel under the driver is ``WeChatInput`` in safe mode on a real Sanic server
with a small fake bot; the fake customer-service API runs in its own thread, as in
the benchmark. Each test makes the channel answer one way (passive, late, doubled,
refused) and checks the driver counts it so.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from rasa.core.channels.channel import UserMessage

from bench.report import wechat_rows
from bench.targets import evaluate_targets
from bench.wechat import (
    AES_KEY,
    APPID,
    APPSECRET,
    TOKEN,
    Pace,
    WeChatLoadResult,
    check_tracker,
    credentials_yaml,
    run_wechat_load,
)
from bot.channels.wechat import WeChatInput
from harness.fake_platforms import FakeAPIs
from tests.channels import FakeBot, serve_channel

TURNS = ("第一句", "第二句", "第三句")


@pytest.fixture
def apis() -> Iterator[FakeAPIs]:
    apis = FakeAPIs()
    yield apis
    apis.stop()


def channel(apis: FakeAPIs, reply_timeout: float) -> WeChatInput:
    return WeChatInput(
        token=TOKEN,
        appid=APPID,
        appsecret=APPSECRET,
        aes_key=AES_KEY,
        api_base=apis.wechat.base_url,
        reply_timeout=reply_timeout,
    )


async def drive(
    apis: FakeAPIs, bot: FakeBot, reply_timeout: float, late_wait_s: float = 5.0
) -> WeChatLoadResult:
    async with serve_channel(channel(apis, reply_timeout), bot) as url:
        return await run_wechat_load(
            [f"{url}/webhook"], TURNS, 3, Pace(0.05, late_wait_s), apis.wechat, "t", 60
        )


async def test_quick_replies_are_passive_and_counted_once(apis: FakeAPIs) -> None:
    result = await drive(apis, FakeBot(), reply_timeout=2.0)
    s = result.summary()
    assert (s["passive"], s["pushed"], s["lost"], s["duplicated"]) == (9, 0, 0, 0)
    assert s["passive_share"] == 1.0 and s["p95"] < 2000
    assert s["name"] == "wechat_paced_3" and result.senders == ["t-00", "t-01", "t-02"]


async def test_slow_replies_arrive_through_the_api(apis: FakeAPIs) -> None:
    result = await drive(apis, FakeBot(delay=0.3), reply_timeout=0.05)
    s = result.summary()
    assert (s["passive"], s["pushed"], s["lost"], s["duplicated"]) == (0, 9, 0, 0)
    assert s["passive_share"] == 0.0


class DoublingBot(FakeBot):
    """Answers in the passive reply and also pushes the same text: a doubled reply."""

    def __init__(self, apis: FakeAPIs) -> None:
        super().__init__()
        self.apis = apis

    async def handle_message(self, message: UserMessage) -> None:
        await super().handle_message(message)
        copy = {"touser": message.sender_id, "msgtype": "text", "text": {"content": "又一遍"}}
        self.apis.wechat.sends.append({"access_token": "x", "body": copy, "errcode": 0})


async def test_a_reply_given_twice_is_counted_as_duplicated(apis: FakeAPIs) -> None:
    result = await drive(apis, DoublingBot(apis), reply_timeout=2.0)
    assert result.duplicated == 9 and result.lost == 0


async def test_a_late_reply_the_api_refuses_is_lost(apis: FakeAPIs) -> None:
    apis.wechat.send_errors = [45015] * 100  # "the customer has not written for 48 h"
    result = await drive(apis, FakeBot(delay=0.3), reply_timeout=0.05, late_wait_s=0.5)
    assert result.lost == 9 and result.pushed == 0 and result.passive_ms == []


def test_tracker_check_finds_a_message_stored_twice(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id, type_name, data)")
        rows = [("a", t) for t in TURNS] + [("b", t) for t in (*TURNS[:2], TURNS[1], TURNS[2])]
        conn.executemany(
            "INSERT INTO events (sender_id, type_name, data) VALUES (?, 'user', ?)",
            [(s, f'{{"text": "{t}"}}') for s, t in rows],
        )
    result = WeChatLoadResult("w", 2, 3, senders=["a", "b"])
    check_tracker(result, f"sqlite:///{db}", TURNS)
    assert result.tracker_mismatches == ["b"]


def test_targets_and_rows_report_the_scenario() -> None:
    result = WeChatLoadResult("wechat_paced_50", 1, 100, passive_ms=[100.0] * 98, pushed=2)
    report = {"load": {}, "memory_mb": {}, "wechat": result.summary()}
    rows = {t["target"]: t for t in evaluate_targets(report)}
    share = rows["wechat_paced_50 replies passive within 4.5 s (share)"]
    assert share["measured"] == 0.98 and share["status"] == "MISS"
    assert rows["wechat_paced_50 replies lost"]["status"] == "PASS"
    assert "98 / 0 / 2 / 0 / 0" in wechat_rows(report["wechat"])[1][1]


def test_credentials_share_redis_only_in_production() -> None:
    assert "redis_port: '6380'" in credentials_yaml("http://api", 6380)
    assert "redis" not in credentials_yaml("http://api", None)
