"""The first development message the served model reads a certain way.

Which messages the model hesitates on or the gate turns away depends on the trained
model, so the e2e tests find theirs among the development sets instead of fixing one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from rasa.core.agent import Agent

from bot.nlu.baseline import DEV, held_out_examples

T = TypeVar("T")


def first_dev_message(
    model_agent: Agent, pick: Callable[[str, dict[str, Any]], T | None], what: str
) -> tuple[str, T]:
    """The first development text whose parse ``pick`` accepts, and what it returned."""

    async def find() -> tuple[str, T] | None:
        for path in DEV.values():
            for text, _ in held_out_examples(path):
                picked = pick(text, await model_agent.parse_message(text))
                if picked:
                    return text, picked
        return None

    found = asyncio.run(find())
    assert found, f"no development message {what}"
    return found
