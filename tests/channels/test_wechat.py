"""WeChatInput over real HTTP: verification, modes, messages, 5-second rule, bad input."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from bot.channels.messages import load_texts
from bot.channels.signature import sha1_signature
from bot.channels.wechat import WeChatInput
from bot.channels.wechat_crypto import WeChatCrypto
from bot.channels.wechat_xml import WeChatXMLError, build_text_reply, cdata, parse_message
from tests.channels import (
    A_APPID,
    A_ENCRYPT,
    A_KEY,
    A_MSG_SIGNATURE,
    A_NONCE,
    A_SIGNATURE,
    A_TIMESTAMP,
    A_TOKEN,
    LONG_TEXT,
    FakeBot,
    FakeWeChatAPI,
    serve_channel,
    signed_query,
    wechat_push,
    wechat_text,
)

TOKEN = "ppatoken"
APPID = "wxppa0000000000001"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OPENID = "oPPA_user_openid_0001"
TEXTS = load_texts()


@pytest_asyncio.fixture
async def fake_api() -> AsyncIterator[FakeWeChatAPI]:
    api = FakeWeChatAPI()
    await api.start()
    yield api
    await api.stop()


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


def make_channel(api: FakeWeChatAPI | None = None, **kwargs: Any) -> WeChatInput:
    options: dict[str, Any] = {
        "token": TOKEN,
        "appid": APPID,
        "appsecret": "appsecret",
        "api_base": api.base_url if api else "http://127.0.0.1:9",
        "reply_timeout": 1.0,
    }
    options.update(kwargs)
    return WeChatInput(**options)


async def post(http: aiohttp.ClientSession, url: str, body: bytes, **query: str) -> tuple[int, str]:
    params = query or signed_query(TOKEN)
    async with http.post(f"{url}/webhook", params=params, data=body) as resp:
        return resp.status, await resp.text()


def reply_fields(body: str) -> dict[str, str]:
    return parse_message(body.encode())


# -- XML helpers --------------------------------------------------------------------------
def test_passive_reply_xml_swaps_users_and_uses_cdata() -> None:
    xml = build_text_reply("oUSER", "gh_ACCOUNT", "热线：800-810-1818\n谢谢 ]]> <b>", 1700000000)
    fields = parse_message(xml.encode())
    assert fields == {
        "ToUserName": "oUSER",
        "FromUserName": "gh_ACCOUNT",
        "CreateTime": "1700000000",
        "MsgType": "text",
        "Content": "热线：800-810-1818\n谢谢 ]]> <b>",
    }


def test_cdata_drops_characters_xml_forbids() -> None:
    assert cdata("a\x00b\x1fc") == "<![CDATA[abc]]>"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<xml><Content>unclosed</xml>",
        b"<notxml><MsgType>text</MsgType></notxml>",
        b"<xml>\xff\xfe</xml>",
        b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaa">]><xml><C>&a;</C></xml>',
        b'<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><C>&x;</C></xml>',
    ],
    ids=["empty", "malformed", "wrong-root", "invalid-utf8", "entity", "external-entity"],
)
def test_parse_refuses_bad_documents(body: bytes) -> None:
    with pytest.raises(WeChatXMLError):
        parse_message(body)


# -- fixed texts ------------------------------------------------------------------------------
def test_channel_texts_are_complete() -> None:
    assert TEXTS.please_type and TEXTS.voice_unrecognised and TEXTS.welcome
    assert TEXTS.menu_message("HOTLINE") == "客服热线"
    assert TEXTS.menu_message("NO_SUCH_KEY") is None
    assert TEXTS.menu_message(None) is None
    assert all(item.label and item.message for item in TEXTS.menu.values())


@pytest.mark.parametrize(
    "content",
    [
        "welcome: z\n",  # no menu
        "menu: {}\n",
        "menu: {K: {label: L}}\n",
        "menu: {K: {label: L, text: t, intent: i}}\n",
    ],
    ids=["no-menu", "empty-menu", "no-text", "text-and-intent"],
)
def test_incomplete_menu_file_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "menu.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError):
        load_texts(path)


def test_menu_key_may_send_an_intent(tmp_path: Path) -> None:
    path = tmp_path / "menu.yml"
    path.write_text(
        "menu: {HUMAN: {label: 转人工, intent: human_handoff}}\n",
        encoding="utf-8",
    )
    assert load_texts(path).menu_message("HUMAN") == "/human_handoff"


# -- health and URL verification ---------------------------------------------------------------
@pytest.mark.asyncio
async def test_health(http: aiohttp.ClientSession) -> None:
    async with serve_channel(make_channel(), FakeBot()) as url, http.get(f"{url}/") as resp:
        assert resp.status == 200
        assert await resp.json() == {"status": "ok"}


@pytest.mark.asyncio
async def test_get_verification_with_the_official_vector(http: aiohttp.ClientSession) -> None:
    channel = make_channel(token="AAAAA", clock=lambda: 1714036504.0)
    query = {
        "signature": "f464b24fc39322e44b38aa78f5edd27bd1441696",
        "timestamp": "1714036504",
        "nonce": "1514711492",
        "echostr": "4375120948345356249",
    }
    async with serve_channel(channel, FakeBot()) as url:
        async with http.get(f"{url}/webhook", params=query) as resp:
            assert resp.status == 200
            assert await resp.text() == "4375120948345356249"
        bad = {**query, "signature": "f464b24fc39322e44b38aa78f5edd27bd1441697"}
        async with http.get(f"{url}/webhook", params=bad) as resp:
            assert resp.status == 403
            assert "4375120948345356249" not in await resp.text()


@pytest.mark.asyncio
async def test_get_verification_refuses_a_stale_timestamp(http: aiohttp.ClientSession) -> None:
    # the official vector is from 2024: with the real clock it is a replay
    query = {
        "signature": "f464b24fc39322e44b38aa78f5edd27bd1441696",
        "timestamp": "1714036504",
        "nonce": "1514711492",
        "echostr": "4375120948345356249",
    }
    async with (
        serve_channel(make_channel(token="AAAAA"), FakeBot()) as url,
        http.get(f"{url}/webhook", params=query) as resp,
    ):
        assert resp.status == 403


@pytest.mark.asyncio
async def test_get_verification_with_a_fresh_signature(http: aiohttp.ClientSession) -> None:
    async with serve_channel(make_channel(), FakeBot()) as url:
        async with http.get(f"{url}/webhook", params=signed_query(TOKEN, echostr="abc")) as resp:
            assert (resp.status, await resp.text()) == (200, "abc")
        async with http.get(f"{url}/webhook", params=signed_query(TOKEN)) as resp:
            assert resp.status == 400  # no echostr
        async with http.get(f"{url}/webhook") as resp:
            assert resp.status == 403


# -- plain, compatible and safe mode ---------------------------------------------------------
@pytest.mark.asyncio
async def test_plain_text_gets_a_passive_reply(http: aiohttp.ClientSession) -> None:
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        status, body = await post(http, url, wechat_text(OPENID, "你好", "1001"))
    assert status == 200
    fields = reply_fields(body)
    assert fields["ToUserName"] == OPENID
    assert fields["FromUserName"] == "gh_test"
    assert fields["MsgType"] == "text"
    assert fields["Content"] == "收到：你好"
    assert abs(int(fields["CreateTime"]) - time.time()) < 10
    [message] = bot.calls
    assert message.sender_id == OPENID
    assert message.input_channel == "wechat"
    assert message.message_id == "1001"
    assert message.metadata is not None
    assert message.metadata["msg_id"] == "1001"
    assert "create_time" in message.metadata
    assert message.output_channel.name() == "wechat"


@pytest.mark.asyncio
async def test_compatible_mode_with_the_official_vector(http: aiohttp.ClientSession) -> None:
    """Tencent's sample: plaintext fields plus Encrypt; the reply comes back encrypted."""
    channel = make_channel(
        token=A_TOKEN, appid=A_APPID, aes_key=A_KEY, clock=lambda: float(A_TIMESTAMP)
    )
    body = (
        "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
        "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>"
        "<CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        "<Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId>"
        f"<Encrypt><![CDATA[{A_ENCRYPT}]]></Encrypt></xml>"
    ).encode()
    query = {
        "signature": A_SIGNATURE,
        "timestamp": A_TIMESTAMP,
        "nonce": A_NONCE,
        "encrypt_type": "aes",
        "msg_signature": A_MSG_SIGNATURE,
        "openid": "oyORnuP8q7ou2gfYjqLzSIWZf0rs",
    }
    bot = FakeBot()
    async with serve_channel(channel, bot) as url:
        status, reply = await post(http, url, body, **query)
    assert status == 200
    assert [m.text for m in bot.calls] == ["abcdteT"]
    wrapper = reply_fields(reply)
    assert set(wrapper) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    assert (wrapper["TimeStamp"], wrapper["Nonce"]) == (A_TIMESTAMP, A_NONCE)
    crypto = WeChatCrypto(A_TOKEN, A_KEY, A_APPID)
    assert crypto.check_msg_signature(
        wrapper["MsgSignature"], A_TIMESTAMP, A_NONCE, wrapper["Encrypt"]
    )
    inner = parse_message(crypto.decrypt(wrapper["Encrypt"]).encode())
    assert inner["Content"] == "收到：abcdteT"
    assert inner["ToUserName"] == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert inner["FromUserName"] == "gh_10f6c3c3ac5a"


def safe_mode_request(
    crypto: WeChatCrypto, inner: bytes, token: str = TOKEN, msg_signature: str | None = None
) -> tuple[bytes, dict[str, str]]:
    """A safe-mode body (only ToUserName + Encrypt) and its signed query."""
    encrypt = crypto.encrypt(inner)
    body = f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    query = signed_query(token, encrypt_type="aes")
    query["msg_signature"] = msg_signature or sha1_signature(
        token, query["timestamp"], query["nonce"], encrypt
    )
    return body.encode(), query


@pytest.mark.asyncio
async def test_safe_mode_round_trip(http: aiohttp.ClientSession) -> None:
    crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
    body, query = safe_mode_request(crypto, wechat_text(OPENID, "安全模式", "2001"))
    bot = FakeBot()
    async with serve_channel(make_channel(aes_key=AES_KEY), bot) as url:
        status, reply = await post(http, url, body, **query)
    assert status == 200
    wrapper = reply_fields(reply)
    assert crypto.check_msg_signature(
        wrapper["MsgSignature"], query["timestamp"], query["nonce"], wrapper["Encrypt"]
    )
    inner = parse_message(crypto.decrypt(wrapper["Encrypt"]).encode())
    assert inner["Content"] == "收到：安全模式"
    assert inner["ToUserName"] == OPENID
    assert bot.calls[0].sender_id == OPENID


@pytest.mark.asyncio
async def test_safe_mode_refusals(http: aiohttp.ClientSession) -> None:
    crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
    other_app = WeChatCrypto(TOKEN, AES_KEY, "wxsomebodyelse0001")
    bot = FakeBot()
    async with serve_channel(make_channel(aes_key=AES_KEY), bot) as url:
        body, query = safe_mode_request(
            crypto, wechat_text(OPENID, "x", "1"), msg_signature="0" * 40
        )
        assert (await post(http, url, body, **query))[0] == 403
        body, query = safe_mode_request(other_app, wechat_text(OPENID, "x", "2"))
        assert (await post(http, url, body, **query))[0] == 403
        body, query = safe_mode_request(crypto, b"<xml><Content>unclosed</xml>")
        assert (await post(http, url, body, **query))[0] == 400
        body, query = safe_mode_request(crypto, wechat_text(OPENID, "x", "3"))
        broken = body.replace(b"<Encrypt>", b"<Other>").replace(b"</Encrypt>", b"</Other>")
        assert (await post(http, url, broken, **query))[0] == 400
    assert bot.calls == []


@pytest.mark.asyncio
async def test_encrypted_push_without_a_configured_key(http: aiohttp.ClientSession) -> None:
    crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
    body, query = safe_mode_request(crypto, wechat_text(OPENID, "x", "1"))
    async with serve_channel(make_channel(), FakeBot()) as url:
        assert (await post(http, url, body, **query))[0] == 400


# -- message types -----------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_voice_recognition_is_text_and_empty_is_asked_to_type(
    http: aiohttp.ClientSession,
) -> None:
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        heard = wechat_push(
            OPENID, "voice", MediaId="m1", Format="amr", Recognition="查询热线", MsgId="11"
        )
        _, body = await post(http, url, heard)
        assert reply_fields(body)["Content"] == "收到：查询热线"
        silent = wechat_push(
            OPENID, "voice", MediaId="m2", Format="amr", Recognition="", MsgId="12"
        )
        _, body = await post(http, url, silent)
        assert reply_fields(body)["Content"] == TEXTS.voice_unrecognised
    assert [m.text for m in bot.calls] == ["查询热线"]


@pytest.mark.asyncio
@pytest.mark.parametrize("msg_type", ["image", "location", "link", "video", "shortvideo"])
async def test_unreadable_media_asks_to_type(http: aiohttp.ClientSession, msg_type: str) -> None:
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        status, body = await post(http, url, wechat_push(OPENID, msg_type, MsgId="21"))
    assert status == 200
    assert reply_fields(body)["Content"] == TEXTS.please_type
    assert bot.calls == []


@pytest.mark.asyncio
async def test_empty_text_asks_to_type(http: aiohttp.ClientSession) -> None:
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        _, body = await post(http, url, wechat_text(OPENID, "   ", "31"))
    assert reply_fields(body)["Content"] == TEXTS.please_type
    assert bot.calls == []


@pytest.mark.asyncio
async def test_subscribe_gets_welcome_and_menu(http: aiohttp.ClientSession) -> None:
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        _, body = await post(http, url, wechat_push(OPENID, "event", Event="subscribe"))
        qr = wechat_push("oQR_scanner_0001", "event", Event="subscribe", EventKey="qrscene_7")
        _, qr_body = await post(http, url, qr)
    content = reply_fields(body)["Content"]
    assert content.startswith(TEXTS.welcome)
    for item in TEXTS.menu.values():
        assert item.label in content
    assert reply_fields(qr_body)["Content"] == content
    assert bot.calls == []


@pytest.mark.asyncio
async def test_menu_click_sends_the_mapped_text(http: aiohttp.ClientSession) -> None:
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        click = wechat_push(OPENID, "event", Event="CLICK", EventKey="HOTLINE")
        _, body = await post(http, url, click)
    assert reply_fields(body)["Content"] == "收到：客服热线"
    assert [m.text for m in bot.calls] == ["客服热线"]
    assert bot.calls[0].metadata is not None
    assert bot.calls[0].metadata["event_key"] == "HOTLINE"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "push",
    [
        wechat_push(OPENID, "event", Event="unsubscribe"),
        wechat_push(OPENID, "event", Event="VIEW", EventKey="https://example.com"),
        wechat_push(OPENID, "event", Event="CLICK", EventKey="NO_SUCH_KEY"),
        wechat_push(OPENID, "event", Event="LOCATION", Latitude="23.1"),
        wechat_push(OPENID, "miniprogrampage", MsgId="41"),
    ],
    ids=["unsubscribe", "view", "unknown-key", "location-event", "unknown-type"],
)
async def test_other_pushes_get_success(http: aiohttp.ClientSession, push: bytes) -> None:
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        assert await post(http, url, push) == (200, "success")
    assert bot.calls == []


@pytest.mark.asyncio
async def test_rich_replies_are_flattened_to_text(http: aiohttp.ClientSession) -> None:
    async with serve_channel(make_channel(), FakeBot()) as url:
        _, buttons = await post(http, url, wechat_text(OPENID, "按钮", "51"))
        _, image = await post(http, url, wechat_text(OPENID, "图片", "52"))
        _, two = await post(http, url, wechat_text(OPENID, "两条", "53"))
    assert reply_fields(buttons)["Content"] == "请选择产品：\n1. DB2\n2. WebSphere"
    assert reply_fields(image)["Content"] == "https://example.com/guide.png"
    assert reply_fields(two)["Content"] == "第一条\n\n第二条"


@pytest.mark.asyncio
async def test_typed_intent_syntax_is_not_passed_through(http: aiohttp.ClientSession) -> None:
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        await post(http, url, wechat_text(OPENID, '/inform{"customer_number":"1"}', "61"))
    assert bot.calls[0].text == '／inform{"customer_number":"1"}'


@pytest.mark.asyncio
async def test_a_failing_bot_still_answers(http: aiohttp.ClientSession) -> None:
    async with serve_channel(make_channel(), FakeBot()) as url:
        assert await post(http, url, wechat_text(OPENID, "出错", "71")) == (200, "success")


# -- retries and the 5-second rule ----------------------------------------------------------------
@pytest.mark.asyncio
async def test_concurrent_retries_are_processed_once(http: aiohttp.ClientSession) -> None:
    bot = FakeBot(delay=0.1)
    async with serve_channel(make_channel(), bot) as url:
        push = wechat_text(OPENID, "重试", "8001")
        results = await asyncio.gather(*(post(http, url, push) for _ in range(4)))
    assert len(bot.calls) == 1
    assert len({body for _, body in results}) == 1
    assert reply_fields(results[0][1])["Content"] == "收到：重试"


@pytest.mark.asyncio
async def test_event_retries_are_processed_once(http: aiohttp.ClientSession) -> None:
    bot = FakeBot(delay=0.05)
    async with serve_channel(make_channel(), bot) as url:
        click = wechat_push(OPENID, "event", Event="CLICK", EventKey="HOTLINE")
        results = await asyncio.gather(*(post(http, url, click) for _ in range(3)))
    assert len(bot.calls) == 1
    assert len({body for _, body in results}) == 1


@pytest.mark.asyncio
async def test_slow_turn_answers_success_then_delivers_via_api(
    http: aiohttp.ClientSession, fake_api: FakeWeChatAPI
) -> None:
    bot = FakeBot(delay=0.6)
    channel = make_channel(fake_api, reply_timeout=0.2)
    async with serve_channel(channel, bot) as url:
        started = time.monotonic()
        result = await post(http, url, wechat_text(OPENID, "慢问题", "9001"))
        elapsed = time.monotonic() - started
        assert result == (200, "success")
        assert elapsed < 0.5
        [send] = await fake_api.wait_for_deliveries(1)
        # a retry after the delivery is answered with success, not a second reply
        assert await post(http, url, wechat_text(OPENID, "慢问题", "9001")) == (200, "success")
        await asyncio.sleep(0.1)
    assert send["body"] == {
        "touser": OPENID,
        "msgtype": "text",
        "text": {"content": "收到：慢问题"},
    }
    assert len(fake_api.delivered()) == 1
    assert len(bot.calls) == 1


@pytest.mark.asyncio
async def test_slow_turns_share_one_token(
    http: aiohttp.ClientSession, fake_api: FakeWeChatAPI
) -> None:
    bot = FakeBot(delay=0.4)
    channel = make_channel(fake_api, reply_timeout=0.1)
    async with serve_channel(channel, bot) as url:
        pushes = [wechat_text(f"oUser{i:04d}openid", f"问题{i}", f"95{i}") for i in range(4)]
        results = await asyncio.gather(*(post(http, url, p) for p in pushes))
        assert {body for _, body in results} == {"success"}
        sends = await fake_api.wait_for_deliveries(4)
    assert fake_api.token_fetches == 1
    assert sorted(s["body"]["text"]["content"] for s in sends) == [
        f"收到：问题{i}" for i in range(4)
    ]


@pytest.mark.asyncio
async def test_late_delivery_refreshes_an_invalid_token(
    http: aiohttp.ClientSession, fake_api: FakeWeChatAPI
) -> None:
    fake_api.send_errors = [40001]
    channel = make_channel(fake_api, reply_timeout=0.05)
    async with serve_channel(channel, FakeBot(delay=0.15)) as url:
        assert await post(http, url, wechat_text(OPENID, "刷新", "9101")) == (200, "success")
        [send] = await fake_api.wait_for_deliveries(1)
    assert fake_api.token_fetches == 2
    assert send["access_token"] == "TOKEN2"


@pytest.mark.asyncio
async def test_retries_of_a_slow_turn_deliver_exactly_once(
    http: aiohttp.ClientSession, fake_api: FakeWeChatAPI
) -> None:
    bot = FakeBot(delay=0.5)
    channel = make_channel(fake_api, reply_timeout=0.15)
    async with serve_channel(channel, bot) as url:
        push = wechat_text(OPENID, "慢", "9201")
        first = asyncio.ensure_future(post(http, url, push))
        await asyncio.sleep(0.2)  # the first request has given up: WeChat retries
        second = asyncio.ensure_future(post(http, url, push))
        await asyncio.sleep(0.2)
        third = await post(http, url, push)  # arrives while the turn is finishing
        answers = [await first, await second, third]
        await asyncio.sleep(0.3)
    assert len(bot.calls) == 1
    assert [body for _, body in answers[:2]] == ["success", "success"]
    # the retry still waiting when the turn ends answers passively; nothing is pushed
    assert reply_fields(answers[2][1])["Content"] == "收到：慢"
    assert fake_api.delivered() == []


@pytest.mark.asyncio
async def test_long_reply_is_split_passive_first_then_api(
    http: aiohttp.ClientSession, fake_api: FakeWeChatAPI
) -> None:
    async with serve_channel(make_channel(fake_api), FakeBot()) as url:
        _, body = await post(http, url, wechat_text(OPENID, "长文", "9301"))
        first = reply_fields(body)["Content"]
        sends = await fake_api.wait_for_deliveries(4)
    rest = [s["body"]["text"]["content"] for s in sends]
    assert len(first.encode()) <= 2048
    assert all(len(part.encode()) <= 2048 for part in rest)
    assert first + "".join(rest) == LONG_TEXT
    assert all(s["body"]["touser"] == OPENID for s in sends)


# -- bad input -----------------------------------------------------------------------------
BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    b"<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName>"
    b"<MsgType>text</MsgType><Content>&lol3;</Content><MsgId>1</MsgId></xml>"
)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("body", "status"),
    [
        (BOMB, 400),
        (b'<!DOCTYPE xml SYSTEM "http://evil.example/x.dtd"><xml></xml>', 400),
        (b"<xml><ToUserName>\xff\xfe</ToUserName></xml>", 400),
        (b"", 400),
        (b"not xml at all", 400),
        (b"<xml><MsgType>text</MsgType></xml>", 400),  # no sender / receiver
        (b"<xml>" + b"<Content>x</Content>" * 60_000 + b"</xml>", 413),
    ],
    ids=["xml-bomb", "dtd", "invalid-utf8", "empty", "not-xml", "incomplete", "1mb"],
)
async def test_bad_bodies_are_refused(
    http: aiohttp.ClientSession, body: bytes, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    bot = FakeBot()
    with caplog.at_level(logging.WARNING, logger="bot.channels"):
        async with serve_channel(make_channel(), bot) as url:
            got, text = await post(http, url, body)
    assert got == status
    assert "Traceback" not in text
    assert bot.calls == []
    assert any("refused" in r.getMessage() for r in caplog.records)


@pytest.mark.asyncio
async def test_forged_and_stale_requests_are_forbidden(http: aiohttp.ClientSession) -> None:
    bot = FakeBot()
    push = wechat_text(OPENID, "伪造", "9401")
    async with serve_channel(make_channel(), bot) as url:
        forged = signed_query("not-the-token")
        assert (await post(http, url, push, **forged))[0] == 403
        # The clock is read right before each request: on a loaded CI machine the
        # server's start took over a second, and "now + 301" taken before it fell
        # inside the 300-second window.
        stale = signed_query(TOKEN, timestamp=str(int(time.time()) - 301))
        assert (await post(http, url, push, **stale))[0] == 403
        future = signed_query(TOKEN, timestamp=str(int(time.time()) + 301))
        assert (await post(http, url, push, **future))[0] == 403
        garbage = signed_query(TOKEN, timestamp="17e9")
        assert (await post(http, url, push, **garbage))[0] == 403
        assert (await post(http, url, push, nonce="1"))[0] == 403
        recent = signed_query(TOKEN, timestamp=str(int(time.time()) - 200))
        assert (await post(http, url, push, **recent))[0] == 200
    assert len(bot.calls) == 1


@pytest.mark.asyncio
async def test_logs_carry_no_content_and_no_full_openid(
    http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    secret_text = "我的合同号是PPA-2025-0001"
    with caplog.at_level(logging.INFO, logger="bot.channels"):
        async with serve_channel(make_channel(), FakeBot()) as url:
            await post(http, url, wechat_text(OPENID, secret_text, "9501"))
            await post(http, url, wechat_push(OPENID, "event", Event="CLICK", EventKey="HOTLINE"))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "wechat:" in logged
    assert secret_text not in logged
    assert OPENID not in logged
