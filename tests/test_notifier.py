"""Case notifications: outbox → signed POST, retried until a 2xx, never twice."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json

import aiohttp
import pytest
from aiohttp import web

from bot.notifier import SIGNATURE_HEADER, CaseNotifier, backoff
from bot.store.cases import CaseRepository, NewCase
from bot.store.outbox import OutboxRepository
from harness.servers import free_port

SECRET = "test-secret"


class Receiver:
    """A ticketing system on 127.0.0.1 that can be down, failing or up."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/cases"
        self.fail_next = 0
        self.received: list[dict] = []
        self.bad_signatures = 0
        self._runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get(SIGNATURE_HEADER, "")):
            self.bad_signatures += 1
            return web.Response(status=401)
        if self.fail_next:
            self.fail_next -= 1
            return web.Response(status=503)
        self.received.append(json.loads(body))
        return web.Response(status=204)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/cases", self.handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.now


def new_case(key: str, now: dt.datetime) -> NewCase:
    return NewCase(
        idempotency_key=key,
        severity=2,
        product="DB2",
        contact_name="张演示",
        company="演示",
        phone="13800000001",
        customer_number="8800001",
        contract_number="PPA-DEMO-0001",
        channel="rest",
        sender_id="s",
        details={"version": "11.5.8"},
        response_due_at=now + dt.timedelta(hours=2),
        created_at=now,
    )


@pytest.fixture
async def receiver():
    r = Receiver()
    yield r
    await r.stop()


async def test_down_then_up_delivers_exactly_once(db, receiver):
    clock = Clock()
    case, _ = await CaseRepository(db).open(new_case("k1", clock.now), notify_urls=[receiver.url])
    notifier = CaseNotifier(OutboxRepository(db), SECRET, clock=clock, base_delay=10)
    async with aiohttp.ClientSession() as session:
        assert await notifier.deliver_due(session) == 0  # receiver down: connection refused
        await receiver.start()
        receiver.fail_next = 1
        assert await notifier.deliver_due(session) == 0  # not due yet: backoff
        clock.now += dt.timedelta(seconds=11)
        assert await notifier.deliver_due(session) == 0  # 503
        clock.now += dt.timedelta(seconds=25)
        # the bot restarts: a new notifier finds the pending row
        restarted = CaseNotifier(OutboxRepository(db), SECRET, clock=clock, base_delay=10)
        assert await restarted.deliver_due(session) == 1
        clock.now += dt.timedelta(hours=2)
        assert await restarted.deliver_due(session) == 0  # never again after a 2xx
    assert [p["case"]["case_id"] for p in receiver.received] == [case.case_id]
    assert receiver.bad_signatures == 0
    assert receiver.received[0]["case"]["details"]["version"] == "11.5.8"


async def test_two_workers_never_send_the_same_row_twice(db, receiver):
    clock = Clock()
    await receiver.start()
    for i in range(5):
        await CaseRepository(db).open(new_case(f"k{i}", clock.now), notify_urls=[receiver.url])
    a = CaseNotifier(OutboxRepository(db), SECRET, clock=clock)
    b = CaseNotifier(OutboxRepository(db), SECRET, clock=clock)
    async with aiohttp.ClientSession() as session:
        counts = await asyncio.gather(a.deliver_due(session), b.deliver_due(session))
    assert sum(counts) == 5 and len(receiver.received) == 5


def test_backoff_grows_and_caps():
    assert backoff(0, 5, 3600) == dt.timedelta(seconds=5)
    assert backoff(3, 5, 3600) == dt.timedelta(seconds=40)
    assert backoff(20, 5, 3600) == dt.timedelta(seconds=3600)
