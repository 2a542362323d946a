"""bot.rasa.resilience: an action-server outage is answered 系统繁忙, a defect is not.

Real HTTP throughout: Rasa's own ``RemoteAction`` calls a real aiohttp server on a
loopback port that answers the way rasa-sdk does (200, 400 rejection, 404, 500), a
port nobody listens on, or a server slower than the request's timeout.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from jsonschema import ValidationError
from rasa.core.actions import action as rasa_action
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig

from bot.rasa import plugin
from bot.rasa.resilience import busy_text
from harness.model import ROOT
from harness.servers import free_port

LOGGER = "bot.rasa.resilience"
GOOD = {"events": [{"event": "slot", "name": "region", "value": "广州"}], "responses": []}


async def _ok(_: web.Request) -> web.Response:
    return web.json_response(GOOD)


async def _bad_schema(_: web.Request) -> web.Response:
    return web.json_response({"events": "not a list"})


async def _crash(request: web.Request) -> web.Response:
    # rasa-sdk's answer when an action raises: 500, the error, and the request echoed.
    body = {"error": "boom", "request_body": await request.json()}
    return web.json_response(body, status=int(request.query.get("status", "500")))


async def _missing(_: web.Request) -> web.Response:
    body = {"error": "No registered action found", "action_name": "action_nope"}
    return web.json_response(body, status=404)


async def _reject(_: web.Request) -> web.Response:
    body = {"error": "rejected", "action_name": "validate_outage_form"}
    return web.json_response(body, status=400)


async def _slow(_: web.Request) -> web.Response:
    await asyncio.sleep(5)
    return web.json_response(GOOD)


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(autouse=True)
def _installed() -> None:
    plugin.install()


@pytest.fixture
async def server() -> AsyncIterator[str]:
    """Base URL of a fake action server."""
    app = web.Application()
    for path, handler in {
        "ok": _ok,
        "bad_schema": _bad_schema,
        "crash": _crash,
        "missing": _missing,
        "reject": _reject,
        "slow": _slow,
    }.items():
        app.router.add_post(f"/{path}/webhook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def run(
    domain: Domain,
    url: str | None,
    name: str = "action_find_hotline",
    channel: CollectingOutputChannel | None = None,
    **slots: str,
) -> tuple[list, list[str]]:
    """Rasa's RemoteAction ``name`` against ``url``: its events and the texts sent."""
    tracker = DialogueStateTracker.from_events(
        "customer-1", [SlotSet(k, v) for k, v in slots.items()], slots=domain.slots
    )
    channel = channel or CollectingOutputChannel()
    endpoint = EndpointConfig(url) if url else None
    events = await RemoteAction(name, endpoint).run(
        channel, TemplatedNaturalLanguageGenerator(domain.responses), tracker, domain
    )
    return events, [m["text"] for m in channel.messages]


async def test_a_working_action_server_is_untouched(domain: Domain, server: str) -> None:
    events, texts = await run(domain, f"{server}/ok/webhook", product="DB2")
    assert events == [SlotSet("region", "广州")]
    assert texts == []


async def test_connection_refused_is_answered_busy(
    domain: Domain, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"http://127.0.0.1:{free_port()}/webhook"  # nobody listens there
    with caplog.at_level(logging.ERROR, LOGGER):
        events, texts = await run(domain, url, product="DB2", region="广州")
    assert texts == [busy_text("DB2", "广州")]
    assert "系统繁忙" in texts[0]
    assert events == []
    assert "action_find_hotline" in caplog.text and "connection failed" in caplog.text


@pytest.mark.parametrize("status", [500, 503])
async def test_http_5xx_is_answered_busy(
    domain: Domain, server: str, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, LOGGER):
        _, texts = await run(domain, f"{server}/crash/webhook?status={status}", product="DB2")
    assert texts == [busy_text("DB2", None)]
    assert f"HTTP {status}" in caplog.text and "action_find_hotline" in caplog.text
    assert "request_body" not in caplog.text  # the echoed tracker holds customer data


async def test_timeout_is_answered_busy(
    domain: Domain, server: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(rasa_action, "DEFAULT_REQUEST_TIMEOUT", 0.3)
    with caplog.at_level(logging.ERROR, LOGGER):
        _, texts = await run(domain, f"{server}/slow/webhook")
    assert texts == [busy_text(None, None)]
    assert "timed out" in caplog.text


async def test_an_outage_during_form_validation_keeps_the_form(domain: Domain) -> None:
    url = f"http://127.0.0.1:{free_port()}/webhook"
    events, texts = await run(
        domain, url, "validate_outage_form", product="DB2", requested_slot="contact_name"
    )
    assert events == [SlotSet("contact_name", None)]
    assert texts == [busy_text("DB2", None)]


async def test_a_form_rejection_passes_through(domain: Domain, server: str) -> None:
    with pytest.raises(ActionExecutionRejection):
        await run(domain, f"{server}/reject/webhook", "validate_outage_form")


async def test_a_response_failing_the_schema_is_not_disguised(
    domain: Domain, server: str, caplog: pytest.LogCaptureFixture
) -> None:
    channel = CollectingOutputChannel()
    with caplog.at_level(logging.ERROR, LOGGER), pytest.raises(ValidationError):
        await run(domain, f"{server}/bad_schema/webhook", channel=channel, product="DB2")
    assert channel.messages == []
    errors = [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "action_find_hotline" in errors[0].getMessage()
    assert "ValidationError" in errors[0].getMessage()


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("missing/webhook", RasaException),  # 404: the action server has no such action
        (None, RasaException),  # no action endpoint configured
    ],
)
async def test_other_failures_are_logged_and_re_raised(
    domain: Domain,
    server: str,
    path: str | None,
    error: type[Exception],
    caplog: pytest.LogCaptureFixture,
) -> None:
    channel = CollectingOutputChannel()
    url = f"{server}/{path}" if path else None
    with caplog.at_level(logging.ERROR, LOGGER), pytest.raises(error):
        await run(domain, url, channel=channel, product="DB2")
    assert channel.messages == []
    assert "action_find_hotline" in caplog.text
    assert "系统繁忙" not in caplog.text and "unreachable" not in caplog.text
