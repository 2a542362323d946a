"""A customer on WeChat whose message the model hesitates on picks a request by number.

The message is not fixed here: which messages the model hesitates on depends on the
trained model, so the test takes the first message of the development sets that the
loaded model (the one the servers serve) falls back on with requests to offer.
"""

from __future__ import annotations

from typing import Any

import pytest
from rasa.core.agent import Agent

from bot.replies import render
from bot.services.clarify import Offer, candidates
from harness.servers import Stack
from tests.e2e.channel_users import FakeAPIs, WeChatUser, user_events
from tests.e2e.dev_messages import first_dev_message

pytestmark = pytest.mark.timeout(1800)


def hesitated_on(model_agent: Agent) -> tuple[str, list[Offer]]:
    """The first development message the model falls back on with requests to offer."""

    def offers(_text: str, parse: dict[str, Any]) -> list[Offer] | None:
        return candidates(parse) if parse["intent"]["name"] == "nlu_fallback" else None

    return first_dev_message(model_agent, offers, "the model hesitates on between requests")


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
