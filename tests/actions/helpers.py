"""Build rasa-sdk trackers the way the Rasa server sends them."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

DOMAIN: dict[str, Any] = {"slots": {}}


def tracker(
    text: str = "",
    intent: str = "inform",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    sender: str = "tester",
    channel: str = "rest",
    confidence: float = 0.95,
    active_loop: str | None = None,
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities or [],
    }
    events = [{"event": "user", "text": text, "parse_data": latest, "input_channel": channel}]
    return Tracker(
        sender,
        slots or {},
        latest,
        events,
        False,
        None,
        {"name": active_loop} if active_loop else {},
        "action_listen",
    )


def texts(dispatcher) -> str:
    return "\n".join(m.get("text") or m.get("response") or "" for m in dispatcher.messages)


def slot_events(events) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def run(action: Any, t: Tracker) -> tuple[CollectingDispatcher, list[dict[str, Any]]]:
    """Run ``action`` on ``t``: what it said and the events it returned."""
    d = CollectingDispatcher()
    events = await action.run(d, t, DOMAIN)
    return d, events


def after(
    t: Tracker, earlier: str, action: str, parse_data: dict[str, Any] | None = None
) -> Tracker:
    """``t`` with one turn before its message: ``earlier`` said, answered by ``action``."""
    t.events = [
        {"event": "user", "text": earlier, "parse_data": parse_data or {}},
        {"event": "action", "name": action},
        {"event": "action", "name": "action_listen"},
        t.events[-1],
    ]
    return t
