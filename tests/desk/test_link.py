"""bot.desk.link over real HTTP: the fake WeChat API, a webhook receiver, a fake Rasa API."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.desk.config import DeskSettings
from bot.desk.link import RESUME_EVENTS, SIGNATURE_HEADER, HttpCustomerLink
from bot.notifier import sign
from harness.servers import free_port
from tests.channels import FakeWeChatAPI

OPENID = "oPPA_user_openid_0001"
SECRET = "webhook-secret-0123456789"


async def serve(routes: list[web.RouteDef]) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.add_routes(routes)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


async def test_wechat_customer_service_message() -> None:
    api = FakeWeChatAPI()
    base = await api.start()
    link = HttpCustomerLink(
        DeskSettings(wechat_appid="wxppa0000000000001", wechat_secret="s", wechat_api_base=base)
    )
    try:
        assert await link.send("wechat", OPENID, "您好，我是工程师") == "sent"
        [sent] = api.delivered()
        body = sent["body"]
        assert body["touser"] == OPENID and body["text"]["content"] == "您好，我是工程师"
    finally:
        await link.close()
        await api.stop()
    # API gone: the message waits for the customer's next turn instead of being lost.
    assert await HttpCustomerLink(
        DeskSettings(wechat_appid="wx", wechat_secret="s", wechat_api_base=base)
    ).send("wechat", OPENID, "x") in ("pending",)


async def test_signed_webhook_callback_and_rest_pending() -> None:
    received: list[tuple[bytes, str]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((await request.read(), request.headers.get(SIGNATURE_HEADER, "")))
        return web.Response(status=204)

    runner, base = await serve([web.post("/hook", hook)])
    settings = DeskSettings(webhook_callback_url=base + "/hook", webhook_secret=SECRET)
    try:
        link = HttpCustomerLink(settings)
        assert await link.send("signed_webhook", "crm-42", "已为您升级处理") == "sent"
        [(body, signature)] = received
        assert signature == sign(SECRET, body)
        assert json.loads(body) == {
            "recipient_id": "crm-42",
            "text": "已为您升级处理",
            "from": "agent",
        }
        assert await link.send("rest", "me", "hi") == "pending"
    finally:
        await runner.cleanup()


async def test_resume_posts_the_resume_event_to_rasa() -> None:
    calls: list[tuple[str, Any, str]] = []

    async def events(request: web.Request) -> web.Response:
        calls.append(
            (request.match_info["id"], await request.json(), request.query.get("token", ""))
        )
        return web.json_response({})

    runner, base = await serve([web.post("/conversations/{id}/tracker/events", events)])
    try:
        link = HttpCustomerLink(DeskSettings(rasa_url=base, rasa_token="tok"))
        assert await link.resume("wx/openid 1")
        assert calls == [("wx/openid 1", RESUME_EVENTS, "tok")]
        assert RESUME_EVENTS[-1] == {"event": "action", "name": "action_listen"}
    finally:
        await runner.cleanup()
    assert not await HttpCustomerLink(DeskSettings(rasa_url=base)).resume("c1")  # Rasa down
