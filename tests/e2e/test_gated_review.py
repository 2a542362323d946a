"""A request the DomainGate turns away is answered as off-topic and kept for review.

Over WeChat against the real Rasa and action servers: the message is the first of the
development sets that the served model reads as a request and the gate turns into
``out_of_scope`` (which messages those are depends on the trained model).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa.core.agent import Agent

from bot.nlu.evidence import GATED_KEY
from bot.store.database import Database
from bot.store.nlu_misses import MissGroup, NluMissRepository
from harness.servers import Stack
from tests.e2e.channel_users import FakeAPIs, WeChatUser
from tests.e2e.dev_messages import first_dev_message

pytestmark = pytest.mark.timeout(1800)

OUT_OF_SCOPE_OPENING = "抱歉，这个问题不在我的服务范围内"  # utter_out_of_scope, domain.yml


def gated_by_the_model(model_agent: Agent) -> tuple[str, dict]:
    """The first development message the gate turns away, and what it turned away."""

    def gated(text: str, parse: dict[str, Any]) -> dict | None:
        # Plain text only: the WeChat user's text must reach the store unmasked.
        return None if any(c.isdigit() for c in text) else parse.get(GATED_KEY)

    return first_dev_message(model_agent, gated, "the gate turns away")


def misses(db_url: str) -> list[MissGroup]:
    async def read() -> list[MissGroup]:
        db = Database(db_url)
        try:
            return await NluMissRepository(db).groups()
        finally:
            await db.dispose()

    return asyncio.run(read())


def test_a_gated_request_is_answered_out_of_scope_and_listed_for_review(
    stack: Stack, wechat_api: FakeAPIs, model_agent: Agent
) -> None:
    text, gated = gated_by_the_model(model_agent)
    user = WeChatUser(stack.rasa_port, wechat_api, "gated-review", stack.db_url, safe=False)

    answer = user.say(text)
    assert OUT_OF_SCOPE_OPENING in answer, answer

    recorded = [g for g in misses(stack.db_url) if g.text == " ".join(text.split())]
    assert [(g.kind, g.guess) for g in recorded] == [("gated", gated["name"])], recorded
    assert recorded[0].confidence == pytest.approx(gated["confidence"])
