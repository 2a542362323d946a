"""Live updates: a customer message reaches the agent's event stream fast, on any instance."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import aiohttp

from bot.desk.app import create_app
from bot.desk.config import DeskSettings
from bot.desk.services import DeskServices
from bot.store.handoffs import NewHandoff
from harness.servers import free_port
from tests.desk.conftest import Desk

# The guide's users expect chat speed; the issue asks < 1 s from customer to agent.
MAX_LATENCY_S = 1.0


async def next_event(response: aiohttp.ClientResponse, wanted: str) -> Any:
    event = ""
    async for raw in response.content:
        line = raw.decode("utf-8").rstrip("\n")
        if line.startswith("event: "):
            event = line[len("event: ") :]
        elif line.startswith("data: ") and event == wanted:
            return json.loads(line[len("data: ") :])
    raise AssertionError(f"stream ended before a {wanted!r} event")


async def test_customer_message_reaches_a_second_desk_instance_within_a_second(
    desk: Desk,
) -> None:
    from aiohttp import web

    await desk.add_staff("alice", "agent")
    await desk.services.staff.set_available("alice", True)
    # A second desk instance on the same database and secret: sessions and data are shared.
    port = free_port()
    settings = DeskSettings(
        port=port,
        secret=desk.services.desk_settings.secret,
        rasa_url="http://127.0.0.1:9",
        poll_seconds=desk.services.desk_settings.poll_seconds,
    )
    other = DeskServices(desk.services.db, desk.services.settings, settings)
    runner = web.AppRunner(create_app(other))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    queued = await desk.services.handoffs.request(NewHandoff("c1", "rest"), "hotline")
    assert queued.handoff is not None
    signed_in, _ = await desk.client("alice")
    # The same cookie jar: a session signed in on one instance is valid on the other.
    http = aiohttp.ClientSession(cookie_jar=signed_in.cookie_jar)
    try:
        url = f"http://127.0.0.1:{port}/handoffs/{queued.handoff.id}/events"
        async with http.get(url) as stream:
            assert stream.status == 200
            assert (await next_event(stream, "status"))["status"] == "waiting"
            latencies = []
            for text in ("第一条", "第二条", "第三条"):
                sent = time.monotonic()
                await desk.services.handoffs.customer_turn("c1", text)
                got = await next_event(stream, "message")
                latencies.append(time.monotonic() - sent)
                assert got["text"] == text and got["author"] == "customer"
        print(f"customer → agent stream latency (s): {[round(x, 3) for x in latencies]}")
        assert max(latencies) < MAX_LATENCY_S, latencies
        async with http.get(f"http://127.0.0.1:{port}/events") as inbox:
            rows = await next_event(inbox, "inbox")
        assert [r["last"] for r in rows["waiting"]] == ["第三条"]
    finally:
        await http.close()
        await signed_in.close()
        await runner.cleanup()


async def test_a_second_agent_taking_a_taken_conversation_is_told_on_a_desk_page(
    desk: Desk,
) -> None:
    """A thirteenth blind tester's second agent landed on a bare text page."""
    for name in ("alice", "bob"):
        await desk.add_staff(name, "agent")
        await desk.services.staff.set_available(name, True)
    queued = await desk.services.handoffs.request(NewHandoff("c2", "rest"), "hotline")
    assert queued.handoff is not None
    path = f"/handoffs/{queued.handoff.id}"
    alice, alice_csrf = await desk.client("alice")
    bob, bob_csrf = await desk.client("bob")
    async with alice, bob:
        async with alice.post(f"{path}/take", data={"csrf": alice_csrf}) as taken:
            assert taken.status == 200 and taken.url.path == path
        async with bob.post(f"{path}/take", data={"csrf": bob_csrf}) as refused:
            assert refused.status == 409
            assert refused.content_type == "text/html"
            page = await refused.text()
        async with bob.post(
            f"{path}/reply",
            data={"csrf": bob_csrf, "text": "我来"},
            headers={"X-Requested-With": "fetch"},
        ) as fetched:
            assert fetched.status == 409 and "alice" in (await fetched.json())["error"]
    assert "alice" in page and f'href="{path}"' in page and "PPA 服务台" in page


async def test_the_conversation_page_shows_the_customers_rating(desk: Desk) -> None:
    """A thirteenth blind tester's "2 太慢了，生产库还没恢复" after the survey reached no one."""
    await desk.add_staff("alice", "agent")
    await desk.services.staff.set_available("alice", True)
    queued = await desk.services.handoffs.request(NewHandoff("c3", "rest"), "hotline")
    assert queued.handoff is not None
    await desk.services.handoffs.take("c3", "alice")
    await desk.services.handoffs.close("c3", "alice")
    assert await desk.services.handoffs.survey_answer("c3", "2 太慢了，生产库还没恢复")
    http, _ = await desk.client("alice")
    async with http, http.get(f"/handoffs/{queued.handoff.id}") as page:
        html = await page.text()
    found = re.search(r"<dd id=\"survey\"[^>]*>(.*?)</dd>", html, re.S)
    assert found is not None and "low" in found.group(0), html
    assert found.group(1).split() == ["2", "分", "·", "太慢了,生产库还没恢复"]  # NFKC


async def test_a_supervisor_is_offered_to_take_over(desk: Desk) -> None:
    await desk.add_staff("alice", "agent")
    await desk.add_staff("sue", "supervisor")
    await desk.services.staff.set_available("alice", True)
    queued = await desk.services.handoffs.request(NewHandoff("c4", "rest"), "hotline")
    assert queued.handoff is not None
    await desk.services.handoffs.take("c4", "alice")
    path = f"/handoffs/{queued.handoff.id}"
    for name, offered in (("alice", False), ("sue", True)):
        http, csrf = await desk.client(name)
        async with http:
            async with http.get(path) as page:
                assert ('id="take-over"' in await page.text()) is offered, name
            if offered:
                async with http.post(f"{path}/take", data={"csrf": csrf}) as taken:
                    assert taken.status == 200
    latest = await desk.services.handoff_repo.latest("c4")
    assert latest is not None and latest.agent == "sue"
