"""Numbered choices: a typed number presses the button of the last list shown.

Unit tests of the number reading and the stored list, then the real WeChat (plain
and safe mode) and Weibo channels on a Sanic server with the fake bot, in memory
and with two channel instances ("replicas") sharing one real Redis.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

import aiohttp
import pytest

from bot.channels.choices import ChoiceMemory, Choices
from bot.channels.state import ChannelState, MemoryState, RedisState
from bot.channels.wechat_crypto import WeChatCrypto
from bot.channels.wechat_xml import parse_message
from bot.choice_words import choice_number
from tests.channels import FakeBot, serve_channel, wechat_text
from tests.channels import test_wechat as wx
from tests.channels import test_weibo as wb
from tests.channels.conftest import TEST_DB

_MSG_IDS = itertools.count(9000)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("2", 2),
        (" 2 ", 2),
        ("第2个", 2),
        ("选2", 2),
        ("选择 3", 3),
        ("２", 2),
        ("2.", 2),
        ("２．", 2),
        ("第１２项", 12),
        ("12", 12),
        ("2个问题", None),
        ("13800000001", None),
        ("严重程度2", None),
        ("", None),
        ("二", None),
        ("第二个", 2),  # a twelfth blind tester's words for the choices
        ("第三项吧", 3),
        ("选第十二个", 12),
        ("第一个单", None),
        ("最后一个", None),  # needs the number of choices
    ],
)
def test_choice_number(text: str, number: int | None) -> None:
    assert choice_number(text) == number


@pytest.mark.parametrize(
    ("text", "count", "number"),
    [
        ("最后一个", 4, 4),
        ("最后那个", 3, 3),
        ("倒数第二个", 4, 3),
        ("倒数第五个", 4, None),
        ("后面那个", 2, 2),
        ("前面那个", 2, 1),
        ("后面那个", 3, None),  # which one, of three?
        ("头一个", 3, 1),
        ("最后一个问题", 3, None),
    ],
)
def test_choice_words_that_need_the_count(text: str, count: int, number: int | None) -> None:
    assert choice_number(text, count) == number


def test_the_last_list_of_a_turn_counts() -> None:
    messages = [
        {"text": "a", "buttons": [{"title": "一", "payload": "1"}]},
        {"text": "b", "buttons": [{"title": "好", "payload": "好"}, {"title": "三"}]},
        {"text": "c"},
    ]
    assert Choices.last_of(messages) == Choices(("好", "三"), ("好", "三"))
    assert Choices.last_of([{"text": "no list"}]) is None
    assert Choices.from_json("not json") is None


async def test_memory_resolves_and_forgets(state: ChannelState) -> None:
    memory = ChoiceMemory(state, "wechat", "请回复 1 到 {count}：")
    await memory.remember("u", [{"text": "q", "buttons": [{"title": "甲", "payload": "/a"}]}])
    assert (await memory.resolve("u", "1")).payload == "/a"
    again = await memory.resolve("u", "2")
    assert again.payload is None
    assert again.reprompt == "请回复 1 到 1：\n1. 甲"
    assert (await memory.resolve("other-user", "1")).payload is None
    await memory.remember("u", [{"text": "a question without a list"}])
    assert await memory.resolve("u", "1") == type(again)()


# -- over the real channels -------------------------------------------------------------
Say = Callable[[str], Awaitable[str]]


def _wechat_say(client: aiohttp.ClientSession, url: str, crypto: WeChatCrypto | None) -> Say:
    async def say(text: str) -> str:
        inner = wechat_text(wx.OPENID, text, str(next(_MSG_IDS)))
        if crypto is None:
            _, body = await wx.post(client, url, inner)
            return parse_message(body.encode())["Content"]
        body_bytes, query = wx.safe_mode_request(crypto, inner)
        _, body = await wx.post(client, url, body_bytes, **query)
        wrapper = parse_message(body.encode())
        return parse_message(crypto.decrypt(wrapper["Encrypt"]).encode())["Content"]

    return say


def _weibo_say(client: aiohttp.ClientSession, url: str) -> Say:
    async def say(text: str) -> str:
        _, body = await wb.post(client, url, wb.push(text=text, created_at=str(next(_MSG_IDS))))
        return wb.reply_text(body)

    return say


@pytest.fixture(params=["wechat-plain", "wechat-safe", "weibo"])
def platform(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


async def _serve(
    stack: AsyncExitStack,
    client: aiohttp.ClientSession,
    platform: str,
    bot: FakeBot,
    state: ChannelState,
) -> Say:
    if platform == "weibo":
        url = await stack.enter_async_context(serve_channel(wb.make_channel(state=state), bot))
        return _weibo_say(client, url)
    safe = platform == "wechat-safe"
    channel = wx.make_channel(state=state, aes_key=wx.AES_KEY if safe else None)
    url = await stack.enter_async_context(serve_channel(channel, bot))
    return _wechat_say(client, url, WeChatCrypto(wx.TOKEN, wx.AES_KEY, wx.APPID) if safe else None)


async def test_a_number_presses_the_button(client: aiohttp.ClientSession, platform: str) -> None:
    bot = FakeBot()
    async with AsyncExitStack() as stack:
        say = await _serve(stack, client, platform, bot, MemoryState())
        assert "2. WebSphere" in await say("按钮")
        assert await say("第2个") == "收到：/choose_was"
        # the answer was a turn without a list: the old list is gone
        assert await say("1") == "收到：1"
        assert "1. DB2" in await say("按钮")
        assert await say("１") == "收到：/choose_db2"
    assert [m.text for m in bot.calls] == ["按钮", "/choose_was", "1", "按钮", "/choose_db2"]


async def test_out_of_range_lists_the_choices_again(
    client: aiohttp.ClientSession, platform: str
) -> None:
    bot = FakeBot()
    async with AsyncExitStack() as stack:
        say = await _serve(stack, client, platform, bot, MemoryState())
        await say("按钮")
        reprompt = await say("3")
        assert "1 到 2" in reprompt
        assert reprompt.endswith("1. DB2\n2. WebSphere")
        # the list is still the latest bot turn's: it can be answered now
        assert await say("选2") == "收到：/choose_was"
    assert [m.text for m in bot.calls] == ["按钮", "/choose_was"]


async def test_the_list_is_shared_by_replicas(
    client: aiohttp.ClientSession, redis_state: RedisState, redis_port: int
) -> None:
    bot_a, bot_b = FakeBot(), FakeBot()
    other = RedisState("127.0.0.1", redis_port, db=TEST_DB)
    async with AsyncExitStack() as stack:
        say_a = await _serve(stack, client, "wechat-plain", bot_a, redis_state)
        say_b = await _serve(stack, client, "wechat-plain", bot_b, other)
        await say_a("按钮")
        assert await say_b("2") == "收到：/choose_was"
        assert await say_a("2") == "收到：2"  # replica B's turn replaced the list
    await other.close()
    assert [m.text for m in bot_b.calls] == ["/choose_was"]
