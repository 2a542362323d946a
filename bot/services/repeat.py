"""The bot's last answer, said again when the customer asks ("再说一遍", "没看清")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# What a bot event's ``data`` may carry besides its text, as ``utter_message`` takes it.
MESSAGE_PARTS = ("buttons", "image", "attachment", "elements")


def _message(event: Mapping[str, Any]) -> dict[str, Any]:
    data = event.get("data") or {}
    message: dict[str, Any] = {part: data[part] for part in MESSAGE_PARTS if data.get(part)}
    if event.get("text"):
        message["text"] = event["text"]
    if data.get("custom"):
        message["json_message"] = data["custom"]
    return message


def last_answer(events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The bot's messages of the last turn that had any, before the latest user message.

    Each is a dict of ``utter_message`` arguments. Nothing from before the session
    started (a new session begins without a past to repeat).
    """
    answer: list[dict[str, Any]] = []
    latest_user_seen = False
    for event in reversed(events):
        kind = event.get("event")
        if kind == "session_started":
            break
        if kind == "user":
            if latest_user_seen and answer:
                break
            latest_user_seen = True
        elif kind == "bot" and latest_user_seen:
            message = _message(event)
            if message:
                answer.append(message)
    return answer[::-1]
