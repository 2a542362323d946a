"""WeiboInput over real HTTP: signature vector, passive JSON, active API fallback."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote, unquote

import aiohttp
import pytest
import pytest_asyncio

from bot.channels.messages import load_texts
from bot.channels.signature import check_signature, sha1_signature
from bot.channels.weibo import WeiboInput, encode_data, passive_text_reply
from bot.channels.weibo_api import split_weibo
from tests.channels import LONG_TEXT, FakeBot, FakeWeiboAPI, serve_channel, signed_query

SECRET = "weibo-app-secret"
ACCESS_TOKEN = "2.00weibo_token"
ACCOUNT = 1902538057  # the blue-V account (receiver of pushes)
FAN = 2489518277
TEXTS = load_texts()


@pytest_asyncio.fixture
async def fake_api() -> AsyncIterator[FakeWeiboAPI]:
    api = FakeWeiboAPI()
    await api.start()
    yield api
    await api.stop()


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


def make_channel(api: FakeWeiboAPI | None = None, **kwargs: Any) -> WeiboInput:
    options: dict[str, Any] = {
        "app_secret": SECRET,
        "access_token": ACCESS_TOKEN,
        "api_base": api.base_url if api else "http://127.0.0.1:9",
        "reply_timeout": 1.0,
    }
    options.update(kwargs)
    return WeiboInput(**options)


def ms_query(**extra: str) -> dict[str, str]:
    """A query signed with a 13-digit millisecond timestamp, as Weibo sends it."""
    return signed_query(SECRET, timestamp=str(int(time.time() * 1000)), **extra)


def push(
    msg_type: str = "text", text: str = "", created_at: str | None = None, **data: Any
) -> bytes:
    body: dict[str, Any] = {
        "type": msg_type,
        "receiver_id": ACCOUNT,
        "sender_id": FAN,
        "created_at": created_at or time.strftime("%a %b %d %H:%M:%S +0800 %Y"),
        "text": text,
        "data": data,
    }
    return json.dumps(body, ensure_ascii=False).encode()


async def post(
    http: aiohttp.ClientSession, url: str, body: bytes, query: dict[str, str] | None = None
) -> tuple[int, str]:
    async with http.post(f"{url}/webhook", params=query or ms_query(), data=body) as resp:
        return resp.status, await resp.text()


def reply_text(body: str) -> str:
    reply = json.loads(body)
    return json.loads(unquote(reply["data"]))["text"]


# -- signature and encoding -------------------------------------------------------------
def test_wiki_signature_vector() -> None:
    # appsecret xyz123xyz, timestamp 1397022061823, nonce 57155157
    assert sha1_signature("xyz123xyz", "1397022061823", "57155157") == (
        "90e4c22c90a58f26526c2dd5b6c56c8822edeaa1"
    )
    assert check_signature(
        "xyz123xyz", "90e4c22c90a58f26526c2dd5b6c56c8822edeaa1", "1397022061823", "57155157"
    )


def test_data_encoding_matches_the_wiki() -> None:
    assert encode_data({"text": "中文消息"}) == (
        "%7B%22text%22%3A%22%E4%B8%AD%E6%96%87%E6%B6%88%E6%81%AF%22%7D"
    )


def test_passive_reply_swaps_sender_and_receiver() -> None:
    reply = passive_text_reply({"sender_id": FAN, "receiver_id": ACCOUNT}, "你好 & 再见/")
    assert reply == {
        "result": True,
        "sender_id": ACCOUNT,
        "receiver_id": FAN,
        "type": "text",
        "data": quote(
            json.dumps({"text": "你好 & 再见/"}, ensure_ascii=False, separators=(",", ":")),
            safe="",
        ),
    }


# -- URL verification --------------------------------------------------------------------
@pytest.mark.asyncio
async def test_get_verification_with_the_wiki_vector(http: aiohttp.ClientSession) -> None:
    channel = make_channel(app_secret="xyz123xyz", clock=lambda: 1397022061.823)
    query = {
        "signature": "90e4c22c90a58f26526c2dd5b6c56c8822edeaa1",
        "timestamp": "1397022061823",
        "nonce": "57155157",
        "echostr": "weibo-echo-123",
    }
    async with serve_channel(channel, FakeBot()) as url:
        async with http.get(f"{url}/webhook", params=query) as resp:
            assert (resp.status, await resp.text()) == (200, "weibo-echo-123")
        async with http.get(f"{url}/webhook", params={**query, "nonce": "1"}) as resp:
            assert resp.status == 403
        async with http.get(f"{url}/") as resp:
            assert await resp.json() == {"status": "ok"}


@pytest.mark.asyncio
async def test_get_verification_refuses_a_replayed_vector(http: aiohttp.ClientSession) -> None:
    query = {
        "signature": "90e4c22c90a58f26526c2dd5b6c56c8822edeaa1",
        "timestamp": "1397022061823",
        "nonce": "57155157",
        "echostr": "weibo-echo-123",
    }
    async with (
        serve_channel(make_channel(app_secret="xyz123xyz"), FakeBot()) as url,
        http.get(f"{url}/webhook", params=query) as resp,
    ):
        assert resp.status == 403


# -- messages --------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_text_gets_a_passive_json_reply(http: aiohttp.ClientSession) -> None:
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        status, body = await post(http, url, push(text="你好"))
    assert status == 200
    reply = json.loads(body)
    assert reply["result"] is True
    assert (reply["sender_id"], reply["receiver_id"], reply["type"]) == (ACCOUNT, FAN, "text")
    assert reply["data"] == encode_data({"text": "收到：你好"})
    [message] = bot.calls
    assert message.sender_id == str(FAN)
    assert message.input_channel == "weibo"
    assert message.output_channel.name() == "weibo"


@pytest.mark.asyncio
@pytest.mark.parametrize("subtype", ["follow", "subscribe", "scan_follow"])
async def test_follow_gets_the_welcome(http: aiohttp.ClientSession, subtype: str) -> None:
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        _, body = await post(http, url, push("event", subtype=subtype))
    assert reply_text(body) == TEXTS.welcome_text()
    assert bot.calls == []


@pytest.mark.asyncio
async def test_menu_click_sends_the_mapped_text(http: aiohttp.ClientSession) -> None:
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        _, body = await post(http, url, push("event", subtype="click", key="HOTLINE"))
        unknown = await post(http, url, push("event", subtype="click", key="NOPE"))
    assert reply_text(body) == "收到：客服热线"
    assert [m.text for m in bot.calls] == ["客服热线"]
    assert unknown == (200, "")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("msg_type", "data"),
    [
        ("voice", {"vfid": 1, "tovfid": 2}),
        ("image", {"vfid": 3, "tovfid": 4}),
        ("position", {"longitude": "116.3", "latitude": "39.9"}),
        ("mention", {}),
        ("sticker", {}),
        ("text", {}),  # empty text
    ],
)
async def test_other_types_are_asked_to_type(
    http: aiohttp.ClientSession, msg_type: str, data: dict[str, Any]
) -> None:
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        _, body = await post(http, url, push(msg_type, **data))
    assert reply_text(body) == TEXTS.please_type
    assert bot.calls == []


@pytest.mark.asyncio
async def test_unfollow_gets_an_empty_body(http: aiohttp.ClientSession) -> None:
    async with serve_channel(make_channel(), FakeBot()) as url:
        assert await post(http, url, push("event", subtype="unfollow")) == (200, "")


@pytest.mark.asyncio
async def test_buttons_are_numbered(http: aiohttp.ClientSession) -> None:
    async with serve_channel(make_channel(), FakeBot()) as url:
        _, body = await post(http, url, push(text="按钮"))
    assert reply_text(body) == "请选择产品：\n1. DB2\n2. WebSphere"


# -- length, retries, 5-second rule ----------------------------------------------------------------
@pytest.mark.asyncio
async def test_long_reply_passive_part_then_active_api(
    http: aiohttp.ClientSession, fake_api: FakeWeiboAPI
) -> None:
    async with serve_channel(make_channel(fake_api), FakeBot()) as url:
        _, body = await post(http, url, push(text="长文"))
        first = reply_text(body)
        expected_sends = len(split_weibo(LONG_TEXT)) - 1
        sends = await fake_api.wait_for_sends(expected_sends)
    assert expected_sends >= 2
    assert len(first) < 300
    rest = [json.loads(s["data"])["text"] for s in sends]
    assert all(len(part) < 300 for part in rest)
    assert "".join([first, *rest]) == LONG_TEXT
    send = sends[0]
    assert send["access_token"] == ACCESS_TOKEN
    assert send["type"] == "text"
    assert send["receiver_id"] == str(FAN)
    assert send["save_sender_box"] == "0"


@pytest.mark.asyncio
async def test_slow_turn_answers_empty_then_uses_the_api(
    http: aiohttp.ClientSession, fake_api: FakeWeiboAPI
) -> None:
    bot = FakeBot(delay=0.5)
    async with serve_channel(make_channel(fake_api, reply_timeout=0.15), bot) as url:
        started = time.monotonic()
        assert await post(http, url, push(text="慢问题")) == (200, "")
        assert time.monotonic() - started < 0.45
        [send] = await fake_api.wait_for_sends(1)
    assert json.loads(send["data"]) == {"text": "收到：慢问题"}


@pytest.mark.asyncio
async def test_retries_are_deduplicated_on_sender_and_created_at(
    http: aiohttp.ClientSession,
) -> None:
    bot = FakeBot(delay=0.1)
    body = push(text="重复", created_at="Mon Jul 16 18:09:20 +0800 2012")
    async with serve_channel(make_channel(), bot) as url:
        results = await asyncio.gather(*(post(http, url, body) for _ in range(3)))
        other = await post(
            http, url, push(text="重复", created_at="Mon Jul 16 18:09:21 +0800 2012")
        )
    assert len({r[1] for r in results}) == 1
    assert reply_text(results[0][1]) == "收到：重复"
    assert other[0] == 200
    assert len(bot.calls) == 2


# -- bad input ---------------------------------------------------------------------------------------
@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"[1, 2]", 400),
        (b'{"type": "text", "text": "\xff"}', 400),
        (b"", 400),
        (json.dumps({"type": "text", "text": "hi"}).encode(), 400),  # no ids
        (json.dumps({"type": "text", "text": "x" * 1_000_000}).encode(), 413),
    ],
    ids=["bad-json", "not-object", "invalid-utf8", "empty", "no-ids", "1mb"],
)
async def test_bad_bodies_are_refused(
    http: aiohttp.ClientSession, body: bytes, status: int
) -> None:
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        got, text = await post(http, url, body)
    assert got == status
    assert "Traceback" not in text
    assert bot.calls == []


@pytest.mark.asyncio
async def test_forged_and_stale_requests_are_forbidden(http: aiohttp.ClientSession) -> None:
    bot = FakeBot()
    now_ms = int(time.time() * 1000)
    async with serve_channel(make_channel(), bot) as url:
        forged = signed_query("other-secret", timestamp=str(now_ms))
        assert (await post(http, url, push(text="x"), forged))[0] == 403
        stale = signed_query(SECRET, timestamp=str(now_ms - 301_000))
        assert (await post(http, url, push(text="x"), stale))[0] == 403
        ok = signed_query(SECRET, timestamp=str(now_ms - 100_000))
        assert (await post(http, url, push(text="x"), ok))[0] == 200
    assert len(bot.calls) == 1


@pytest.mark.asyncio
async def test_a_failing_bot_answers_with_an_empty_body(http: aiohttp.ClientSession) -> None:
    async with serve_channel(make_channel(), FakeBot()) as url:
        assert await post(http, url, push(text="出错")) == (200, "")
