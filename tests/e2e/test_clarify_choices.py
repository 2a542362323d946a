"""A customer on WeChat whose message the model hesitates on picks a request by number.

The message is not fixed here: which messages the model hesitates on depends on the
trained model, so the test takes the first message of the development sets that the
loaded model (the one the servers serve) falls back on with requests to offer.
"""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.agent import Agent

from bot.nlu.baseline import DEV, held_out_examples
from bot.replies import render
from bot.services.clarify import Offer, candidates
from harness.servers import Stack
from tests.e2e.channel_users import FakeAPIs, WeChatUser, user_events

pytestmark = pytest.mark.timeout(1800)


def hesitated_on(model_agent: Agent) -> tuple[str, list[Offer]]:
    """The first development message the model falls back on with requests to offer."""

    async def find() -> tuple[str, list[Offer]] | None:
        for path in DEV.values():
            for text, _ in held_out_examples(path):
                parse = await model_agent.parse_message(text)
                if parse["intent"]["name"] == "nlu_fallback" and (offers := candidates(parse)):
                    return text, offers
        return None

    found = asyncio.run(find())
    assert found, "the model hesitates on no development message between requests"
    return found


def test_a_numbered_choice_sends_the_request_it_names(
    stack: Stack, wechat_api: FakeAPIs, model_agent: Agent
) -> None:
    text, offers = hesitated_on(model_agent)
    user = WeChatUser(stack.rasa_port, wechat_api, "clarify-choice", stack.db_url, safe=False)

    asked = user.say(text)
    assert render("clarify") in asked, asked
    for number, offer in enumerate(offers, start=1):
        assert f"{number}. {offer.label}" in asked, asked

    answer = user.say("1")
    # The number was sent as the first offer's wording, and that request was served.
    assert user_events(stack.db_url, "clarify-choice")[-1] == offers[0].say
    assert render("clarify") not in answer and render("rephrase") not in answer, answer
    assert answer.strip(), "no answer to the choice"
