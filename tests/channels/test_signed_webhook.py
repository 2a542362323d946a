"""SignedWebhookInput over real HTTP: Rasa's REST contract behind an HMAC signature."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import urllib.parse
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from bot.channels.signed_webhook import (
    SignedWebhookInput,
    sign,
    signature_is_valid,
    signed_headers,
)
from bot.channels.state import RedisState
from tests.channels import FakeBot, serve_channel
from tests.channels.conftest import TEST_DB

SECRET = "a-long-shared-webhook-secret"


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


async def post(
    http: aiohttp.ClientSession,
    url: str,
    body: bytes,
    signature: str | None = "auto",
    *,
    timestamp: str | None = None,
    delivery: str | None = None,
) -> tuple[int, Any]:
    headers = {
        "Content-Type": "application/json",
        **signed_headers(SECRET, body, timestamp, delivery),
    }
    if signature is None:
        del headers["X-PPA-Signature"]
    elif signature != "auto":
        headers["X-PPA-Signature"] = signature
    async with http.post(f"{url}/webhook", data=body, headers=headers) as resp:
        return resp.status, await resp.json(content_type=None)


def payload(**fields: Any) -> bytes:
    return json.dumps(fields, ensure_ascii=False).encode()


def test_signature_is_hex_hmac_sha256_of_timestamp_delivery_and_body() -> None:
    body = b'{"sender":"u1","message":"hi"}'
    signed = b"v1:1700000000:d-1:" + body
    expected = hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
    assert sign(SECRET, body, "1700000000", "d-1") == f"sha256={expected}"
    valid = signature_is_valid
    assert valid(SECRET, body, f"sha256={expected.upper()}", "1700000000", "d-1")
    assert not valid(SECRET, body + b" ", f"sha256={expected}", "1700000000", "d-1")
    assert not valid(SECRET, body, f"sha256={expected}", "1700000001", "d-1")
    assert not valid(SECRET, body, f"sha256={expected}", "1700000000", "d-2")
    assert not valid(SECRET, body, expected, "1700000000", "d-1")  # prefix required
    assert not valid(SECRET, body, "sha256=签名", "1700000000", "d-1")
    assert not valid(SECRET, body, None, "1700000000", "d-1")


@pytest.mark.asyncio
async def test_good_signature_gets_rest_style_replies(http: aiohttp.ClientSession) -> None:
    bot = FakeBot()
    body = payload(sender="u1", message="你好", metadata={"source": "crm"})
    async with serve_channel(SignedWebhookInput(SECRET), bot) as url:
        status, replies = await post(http, url, body)
    assert status == 200
    assert replies == [{"recipient_id": "u1", "text": "收到：你好"}]
    [message] = bot.calls
    assert message.sender_id == "u1"
    assert message.input_channel == "signed_webhook"
    assert message.metadata == {"source": "crm"}


@pytest.mark.asyncio
async def test_buttons_keep_rasa_rest_format(http: aiohttp.ClientSession) -> None:
    async with serve_channel(SignedWebhookInput(SECRET), FakeBot()) as url:
        _, replies = await post(http, url, payload(sender="u1", message="按钮"))
    assert replies == [
        {
            "recipient_id": "u1",
            "text": "请选择产品：",
            "buttons": [
                {"title": "DB2", "payload": "/choose_db2"},
                {"title": "WebSphere", "payload": "/choose_was"},
            ],
        }
    ]


@pytest.mark.asyncio
async def test_streaming_is_rasa_s_too(http: aiohttp.ClientSession) -> None:
    body = payload(sender="u1", message="两条")
    headers = signed_headers(SECRET, body)
    async with (
        serve_channel(SignedWebhookInput(SECRET), FakeBot()) as url,
        http.post(f"{url}/webhook", params={"stream": "true"}, data=body, headers=headers) as resp,
    ):
        assert resp.status == 200
        lines = (await resp.text()).splitlines()
    assert [json.loads(line)["text"] for line in lines] == ["第一条", "第二条"]


@pytest.mark.asyncio
async def test_health_needs_no_signature(http: aiohttp.ClientSession) -> None:
    async with (
        serve_channel(SignedWebhookInput(SECRET), FakeBot()) as url,
        http.get(f"{url}/") as resp,
    ):
        assert resp.status == 200
        assert await resp.json() == {"status": "ok"}


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        (None, "missing X-PPA-Signature header"),
        ("", "missing X-PPA-Signature header"),
        ("sha256=" + "0" * 64, "bad signature"),
        (sign("another-secret", b"{}", "1", "d"), "bad signature"),
        ("md5=abc", "bad signature"),
    ],
    ids=["missing", "empty", "zeros", "other-secret", "other-scheme"],
)
async def test_missing_or_bad_signature_is_401(
    http: aiohttp.ClientSession, signature: str | None, reason: str
) -> None:
    bot = FakeBot()
    async with serve_channel(SignedWebhookInput(SECRET), bot) as url:
        status, body = await post(http, url, payload(sender="u1", message="hi"), signature)
    assert status == 401
    assert body == {"error": reason}
    assert bot.calls == []


@pytest.mark.asyncio
async def test_signature_of_another_body_is_401(http: aiohttp.ClientSession) -> None:
    signed = payload(sender="u1", message="hi")
    tampered = payload(sender="u1", message="转账")
    async with serve_channel(SignedWebhookInput(SECRET), FakeBot()) as url:
        now = str(int(time.time()))
        forged = sign(SECRET, signed, now, "d-1")
        status, _ = await post(http, url, tampered, forged, timestamp=now, delivery="d-1")
    assert status == 401


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"[]", 400),
        (b"", 400),
        (payload(sender="u1"), 400),
        (payload(sender="u1", message="   "), 400),
        (payload(sender="u1", message=42), 400),
        (payload(message="hi"), 400),
        (payload(sender="u1", message="hi", metadata=[1]), 400),
        (payload(sender="u1", message="x" * 1_000_000), 413),
    ],
    ids=[
        "bad-json",
        "not-object",
        "empty",
        "no-message",
        "blank-message",
        "number-message",
        "no-sender",
        "bad-metadata",
        "1mb",
    ],
)
async def test_bad_bodies(http: aiohttp.ClientSession, body: bytes, status: int) -> None:
    bot = FakeBot()
    async with serve_channel(SignedWebhookInput(SECRET), bot) as url:
        got, error = await post(http, url, body)
    assert got == status
    assert isinstance(error, dict) and "error" in error
    assert bot.calls == []


@pytest.mark.asyncio
async def test_a_failing_bot_is_not_a_500(http: aiohttp.ClientSession) -> None:
    async with serve_channel(SignedWebhookInput(SECRET), FakeBot()) as url:
        status, replies = await post(http, url, payload(sender="u1", message="出错"))
    assert (status, replies) == (200, [])


@pytest.mark.asyncio
async def test_the_server_refuses_a_huge_body_before_reading_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # what scripts/run.sh and deploy/docker-compose.yml set; Sanic reads SANIC_* at start
    monkeypatch.setenv("SANIC_REQUEST_MAX_SIZE", "1048576")
    async with serve_channel(SignedWebhookInput(SECRET), FakeBot()) as url:
        parsed = urllib.parse.urlsplit(url)
        reader, writer = await asyncio.open_connection(parsed.hostname, parsed.port)
        head = (
            f"POST {parsed.path}/webhook HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n"
        )
        writer.write(head.encode() + b"{")  # announce 100 MB, send one byte
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 5)
        writer.close()
    assert b" 413 " in status_line


# -- replay protection and the "/intent" guard --------------------------------------------
@pytest.mark.asyncio
async def test_a_stale_timestamp_or_missing_delivery_id_is_401(http: aiohttp.ClientSession) -> None:
    bot = FakeBot()
    body = payload(sender="u1", message="hi")
    async with serve_channel(SignedWebhookInput(SECRET), bot) as url:
        stale = str(int(time.time()) - 301)
        status, error = await post(http, url, body, timestamp=stale)
        assert (status, error) == (401, {"error": "stale or missing timestamp"})
        headers = {"Content-Type": "application/json", **signed_headers(SECRET, body)}
        del headers["X-PPA-Delivery"]
        async with http.post(f"{url}/webhook", data=body, headers=headers) as resp:
            assert resp.status == 401
    assert bot.calls == []


@pytest.mark.asyncio
async def test_a_replayed_request_is_refused_on_every_replica(
    http: aiohttp.ClientSession, redis_state: RedisState, redis_port: int
) -> None:
    other = RedisState("127.0.0.1", redis_port, db=TEST_DB)
    bot_a, bot_b = FakeBot(), FakeBot()
    body = payload(sender="u1", message="你好")
    headers = {"Content-Type": "application/json", **signed_headers(SECRET, body)}
    async with (
        serve_channel(SignedWebhookInput(SECRET, state=redis_state), bot_a) as url_a,
        serve_channel(SignedWebhookInput(SECRET, state=other), bot_b) as url_b,
    ):
        statuses = []
        for url in (url_a, url_a, url_b):
            async with http.post(f"{url}/webhook", data=body, headers=headers) as resp:
                statuses.append((resp.status, await resp.json()))
    await other.close()
    assert statuses[0][0] == 200
    assert statuses[1:] == [(401, {"error": "replayed request"})] * 2
    assert len(bot_a.calls) == 1 and bot_b.calls == []


@pytest.mark.asyncio
async def test_typed_intents_are_guarded_unless_the_caller_is_trusted(
    http: aiohttp.ClientSession,
) -> None:
    guarded, trusting = FakeBot(), FakeBot()
    async with serve_channel(SignedWebhookInput(SECRET), guarded) as url:
        await post(http, url, payload(sender="u1", message="/restart"))
    async with serve_channel(SignedWebhookInput(SECRET, trusted=True), trusting) as url:
        await post(http, url, payload(sender="u1", message="/restart"))
    assert [m.text for m in guarded.calls] == ["／restart"]
    assert [m.text for m in trusting.calls] == ["/restart"]
