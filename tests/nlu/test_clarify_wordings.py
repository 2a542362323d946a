"""Each choice the fallback offers sends a wording the trained model reads as that request."""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.agent import Agent

from bot.services.clarify import default_rules
from bot.services.nlu_review import RETRIEVAL_INTENT

pytestmark = pytest.mark.timeout(1800)

OFFERS = default_rules().requests


@pytest.fixture(scope="module")
def parses(model_agent: Agent) -> dict[str, dict]:
    async def parse_all() -> dict[str, dict]:
        return {key: await model_agent.parse_message(o.say) for key, o in OFFERS.items()}

    return asyncio.run(parse_all())


@pytest.mark.parametrize("key", sorted(OFFERS))
def test_a_pressed_choice_is_understood_as_its_request(parses: dict[str, dict], key: str) -> None:
    parse = parses[key]
    intent = parse["intent"]["name"]
    if key.startswith(f"{RETRIEVAL_INTENT}/"):
        topic = parse["response_selector"][RETRIEVAL_INTENT]["response"]["intent_response_key"]
        assert (intent, topic) == (RETRIEVAL_INTENT, key), OFFERS[key].say
    else:
        assert intent == key, OFFERS[key].say
