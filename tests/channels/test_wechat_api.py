"""bot.channels.wechat_api against a fake WeChat API server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiohttp import web

from bot.channels.state import RedisState
from bot.channels.wechat_api import TEXT_LIMIT_BYTES, WeChatAPIClient, split_utf8
from tests.channels import FakeWeChatAPI
from tests.channels.conftest import TEST_DB


@pytest_asyncio.fixture
async def fake_api() -> AsyncIterator[FakeWeChatAPI]:
    api = FakeWeChatAPI()
    await api.start()
    yield api
    await api.stop()


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def client_for(api: FakeWeChatAPI, **kwargs: object) -> WeChatAPIClient:
    return WeChatAPIClient("wxappid", "s3cret", api.base_url, **kwargs)  # type: ignore[arg-type]


# -- splitting -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "a" * 5000,
        "中" * 1500,  # 3 bytes each: 682 characters per part
        "ab" + "中" * 1000 + "😀" * 300,  # mixed 1-, 3- and 4-byte characters
        "😀" * 1024,
    ],
    ids=["ascii", "cjk", "mixed", "emoji"],
)
def test_split_never_breaks_a_character(text: str) -> None:
    parts = split_utf8(text)
    assert len(parts) > 1
    assert "".join(parts) == text
    sizes = [len(part.encode("utf-8")) for part in parts]
    assert all(0 < size <= TEXT_LIMIT_BYTES for size in sizes)
    # greedy: each full part stopped because the next character would not fit
    assert all(size > TEXT_LIMIT_BYTES - 4 for size in sizes[:-1])


def test_split_keeps_short_text_whole() -> None:
    assert split_utf8("你好") == ["你好"]
    assert split_utf8("") == []
    exact = "中" * 682 + "ab"  # 2048 bytes
    assert split_utf8(exact) == [exact]


def test_split_prefers_line_breaks() -> None:
    first = "第一段：" + "说明" * 300  # 1812 bytes
    second = "第二段：" + "说明" * 300
    parts = split_utf8(first + "\n" + second)
    assert parts == [first, second]


# -- access_token ----------------------------------------------------------------------
@pytest.mark.asyncio
async def test_send_text_posts_the_customer_service_message(fake_api: FakeWeChatAPI) -> None:
    client = client_for(fake_api)
    try:
        assert await client.send_texts("oOPENID", ["您好，热线是 800-810-1818"])
    finally:
        await client.close()
    assert fake_api.token_requests == [
        {"grant_type": "client_credential", "appid": "wxappid", "secret": "s3cret"}
    ]
    [send] = fake_api.sends
    assert send["access_token"] == "TOKEN1"
    assert send["body"] == {
        "touser": "oOPENID",
        "msgtype": "text",
        "text": {"content": "您好，热线是 800-810-1818"},
    }
    # ensure_ascii=False: Chinese travels as UTF-8, not \\u escapes
    assert "您好".encode() in fake_api.raw_bodies[0]


@pytest.mark.asyncio
async def test_concurrent_senders_share_one_token_fetch(fake_api: FakeWeChatAPI) -> None:
    client = client_for(fake_api)
    try:
        results = await asyncio.gather(*(client.send_texts(f"user{i}", ["hi"]) for i in range(8)))
    finally:
        await client.close()
    assert results == [True] * 8
    assert fake_api.token_fetches == 1
    assert {s["access_token"] for s in fake_api.sends} == {"TOKEN1"}


@pytest.mark.asyncio
async def test_token_is_refreshed_before_expiry(fake_api: FakeWeChatAPI) -> None:
    clock = Clock()
    client = client_for(fake_api, clock=clock)
    try:
        await client.send_texts("u", ["one"])
        clock.now += 7200 - 301  # still inside the safety margin
        await client.send_texts("u", ["two"])
        assert fake_api.token_fetches == 1
        clock.now += 2  # within 5 minutes of the announced expiry
        await client.send_texts("u", ["three"])
    finally:
        await client.close()
    assert fake_api.token_fetches == 2
    assert [s["access_token"] for s in fake_api.sends] == ["TOKEN1", "TOKEN1", "TOKEN2"]


@pytest.mark.asyncio
@pytest.mark.parametrize("errcode", [40001, 40014, 42001])
async def test_invalid_token_is_refreshed_and_the_send_retried(
    fake_api: FakeWeChatAPI, errcode: int
) -> None:
    fake_api.send_errors = [errcode]
    client = client_for(fake_api)
    try:
        assert await client.send_texts("u", ["hello"])
    finally:
        await client.close()
    assert fake_api.token_fetches == 2
    assert [(s["access_token"], s["errcode"]) for s in fake_api.sends] == [
        ("TOKEN1", errcode),
        ("TOKEN2", 0),
    ]


@pytest.mark.asyncio
async def test_concurrent_40001_refreshes_once(fake_api: FakeWeChatAPI) -> None:
    client = client_for(fake_api)
    try:
        await client.access_token()
        fake_api.send_errors = [40001, 40001, 40001]
        results = await asyncio.gather(*(client.send_texts(f"u{i}", ["hi"]) for i in range(3)))
    finally:
        await client.close()
    assert results == [True, True, True]
    assert fake_api.token_fetches == 2


@pytest.mark.asyncio
async def test_token_refresh_is_retried_only_once(fake_api: FakeWeChatAPI) -> None:
    fake_api.send_errors = [40001, 40001]
    client = client_for(fake_api)
    try:
        assert not await client.send_texts("u", ["hello"])
    finally:
        await client.close()
    assert len(fake_api.sends) == 2


@pytest.mark.asyncio
async def test_other_errors_are_reported_not_raised(
    fake_api: FakeWeChatAPI, caplog: pytest.LogCaptureFixture
) -> None:
    fake_api.send_errors = [45015]  # out of the 48-hour window
    client = client_for(fake_api)
    try:
        assert not await client.send_texts("oSECRETOPENID123", ["您的私密问题"])
    finally:
        await client.close()
    assert "45015" in caplog.text
    assert "oSECRETOPENID123" not in caplog.text
    assert "您的私密问题" not in caplog.text
    assert "s3cret" not in caplog.text


@pytest.mark.asyncio
async def test_token_fetch_error_is_reported(fake_api: FakeWeChatAPI) -> None:
    fake_api.token_error = 40013
    client = client_for(fake_api)
    try:
        assert not await client.send_texts("u", ["hello"])
    finally:
        await client.close()
    assert fake_api.sends == []


@pytest.mark.asyncio
async def test_long_text_goes_out_in_parts(fake_api: FakeWeChatAPI) -> None:
    text = "长" * 1500  # 4500 bytes
    client = client_for(fake_api)
    try:
        assert await client.send_texts("u", [text])
    finally:
        await client.close()
    contents = [s["body"]["text"]["content"] for s in fake_api.sends]
    assert len(contents) == 3
    assert "".join(contents) == text
    assert all(len(c.encode()) <= TEXT_LIMIT_BYTES for c in contents)


@pytest.mark.asyncio
async def test_timeout_is_reported(fake_api: FakeWeChatAPI) -> None:
    fake_api.send_delay = 1.0
    client = client_for(fake_api, timeout=0.2)
    try:
        started = asyncio.get_running_loop().time()
        assert not await client.send_texts("u", ["hello"])
        assert asyncio.get_running_loop().time() - started < 0.9
    finally:
        await client.close()


@pytest.mark.asyncio
async def test_unreachable_api_is_reported() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    client = WeChatAPIClient("wxappid", "s3cret", f"http://127.0.0.1:{port}", timeout=1.0)
    try:
        assert not await client.send_texts("u", ["hello"])
    finally:
        await client.close()


@pytest.mark.asyncio
async def test_non_json_answer_is_reported() -> None:
    async def html(_: web.Request) -> web.Response:
        return web.Response(text="<html>busy</html>", content_type="text/html")

    fake = FakeWeChatAPI()
    fake.app.router.add_get("/html/cgi-bin/token", html)
    await fake.start()
    client = WeChatAPIClient("wxappid", "s3cret", fake.base_url + "/html")
    try:
        assert not await client.send_texts("u", ["hello"])
    finally:
        await client.close()
        await fake.stop()


# -- one token for all replicas ----------------------------------------------------------
@pytest.mark.asyncio
async def test_replicas_share_one_token_per_expiry(
    fake_api: FakeWeChatAPI, redis_state: RedisState, redis_port: int
) -> None:
    clock = Clock()
    other = RedisState("127.0.0.1", redis_port, db=TEST_DB)
    clients = [
        client_for(fake_api, clock=clock, state=redis_state),
        client_for(fake_api, clock=clock, state=other),
        client_for(fake_api, clock=clock, state=other),  # a second Sanic worker
    ]
    try:
        sends = [c.send_texts(f"u{i}", ["hi"]) for i in range(4) for c in clients]
        assert all(await asyncio.gather(*sends))
        assert fake_api.token_fetches == 1
        clock.now += 7200  # past the expiry: one refresh, whoever notices first
        sends = [c.send_texts(f"u{i}", ["again"]) for i in range(4) for c in clients]
        assert all(await asyncio.gather(*sends))
        assert fake_api.token_fetches == 2
    finally:
        for client in clients:
            await client.close()
        await other.close()
    assert {s["access_token"] for s in fake_api.sends} == {"TOKEN1", "TOKEN2"}


@pytest.mark.asyncio
async def test_a_40001_on_every_replica_refreshes_once(
    fake_api: FakeWeChatAPI, redis_state: RedisState, redis_port: int
) -> None:
    other = RedisState("127.0.0.1", redis_port, db=TEST_DB)
    a = client_for(fake_api, state=redis_state)
    b = client_for(fake_api, state=other)
    try:
        await a.access_token()
        fake_api.send_errors = [40001, 40001, 40001, 40001]
        results = await asyncio.gather(*(c.send_texts("u", ["hi"]) for c in (a, b, a, b)))
    finally:
        await a.close()
        await b.close()
        await other.close()
    assert results == [True] * 4
    assert fake_api.token_fetches == 2
    assert [s["access_token"] for s in fake_api.delivered()] == ["TOKEN2"] * 4
