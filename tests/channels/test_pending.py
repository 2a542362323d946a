"""Replies that miss the passive window and cannot be pushed wait for the next message.

Real channels on a Sanic server, the fake bot, and the fake WeChat / Weibo APIs
answering with the platforms' refusal codes.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest

from bot.channels.messages import load_texts
from bot.channels.wechat_xml import parse_message
from tests.channels import FakeBot, FakeWeChatAPI, FakeWeiboAPI, serve_channel, wechat_text
from tests.channels import test_wechat as wx
from tests.channels import test_weibo as wb

NOTE = load_texts().pending_note


async def wechat_say(client: aiohttp.ClientSession, url: str, text: str, msg_id: str) -> str:
    _, body = await wx.post(client, url, wechat_text(wx.OPENID, text, msg_id))
    return body if body == "success" else parse_message(body.encode())["Content"]


async def test_passive_only_keeps_a_late_reply_for_the_next_message(
    client: aiohttp.ClientSession, wechat_api: FakeWeChatAPI
) -> None:
    bot = FakeBot(delay=0.4)
    channel = wx.make_channel(wechat_api, push=False, reply_timeout=0.1)
    async with serve_channel(channel, bot) as url:
        assert await wechat_say(client, url, "第一", "1") == "success"
        await asyncio.sleep(0.5)  # the turn ends; nothing may be pushed
        bot.delay = 0
        reply = await wechat_say(client, url, "第二", "2")
        # nothing more is kept: the next answer is just the answer
        assert await wechat_say(client, url, "第三", "3") == "收到：第三"
    assert wechat_api.sends == [] and wechat_api.token_fetches == 0
    assert reply == f"{NOTE}\n收到：第一\n\n收到：第二"


@pytest.mark.parametrize("errcode", [45015, 45047, 48001])
async def test_an_api_refusal_keeps_the_reply_and_warns(
    client: aiohttp.ClientSession,
    wechat_api: FakeWeChatAPI,
    errcode: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    wechat_api.send_errors = [errcode]
    bot = FakeBot(delay=0.3)
    channel = wx.make_channel(wechat_api, reply_timeout=0.1)
    async with serve_channel(channel, bot) as url:
        with caplog.at_level(logging.WARNING):
            assert await wechat_say(client, url, "第一", "1") == "success"
            await asyncio.sleep(0.5)
        bot.delay = 0
        reply = await wechat_say(client, url, "第二", "2")
    assert len(wechat_api.sends) == 1  # refused once, not retried
    assert reply == f"{NOTE}\n收到：第一\n\n收到：第二"
    assert any(f"errcode {errcode}" in r.getMessage() for r in caplog.records)


async def test_a_retryable_error_backs_off_and_delivers(
    client: aiohttp.ClientSession, wechat_api: FakeWeChatAPI
) -> None:
    wechat_api.send_errors = [-1, -1]  # "system busy"
    bot = FakeBot(delay=0.3)
    channel = wx.make_channel(wechat_api, reply_timeout=0.1)
    channel.retry_delays = (0.05, 0.1, 0.2)
    async with serve_channel(channel, bot) as url:
        assert await wechat_say(client, url, "第一", "1") == "success"
        delivered = await wechat_api.wait_for_deliveries(1)
        bot.delay = 0
        assert await wechat_say(client, url, "第二", "2") == "收到：第二"
    assert [s["errcode"] for s in wechat_api.sends] == [-1, -1, 0]
    assert delivered[0]["body"]["text"]["content"] == "收到：第一"


async def test_a_weibo_refusal_keeps_the_reply(
    client: aiohttp.ClientSession, weibo_api: FakeWeiboAPI
) -> None:
    weibo_api.errors = [403]
    bot = FakeBot(delay=0.3)
    channel = wb.make_channel(weibo_api, reply_timeout=0.1)
    async with serve_channel(channel, bot) as url:
        _, body = await wb.post(client, url, wb.push(text="第一", created_at="1"))
        assert body == ""
        await asyncio.sleep(0.5)
        bot.delay = 0
        _, body = await wb.post(client, url, wb.push(text="第二", created_at="2"))
    assert len(weibo_api.refused) == 1 and weibo_api.sends == []
    assert wb.reply_text(body) == f"{NOTE}\n收到：第一\n\n收到：第二"
