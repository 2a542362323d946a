"""faq: the selected topic's answer, after a direct answer when the question asks one."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import previous_bot_action, services
from actions.hotline import HOTLINE_ACTIONS
from bot.replies import render
from bot.services.faq_answers import HOURS_TOPICS, answer_for, topic_of
from bot.services.products import match_product


class ActionAnswerFaq(Action):
    """Say the FAQ topic the ResponseSelector chose, as ``utter_faq`` would, and more.

    First a direct answer where the question asks one (a level for a described fault,
    "no" for what an expired contract still gives); after the hours, the line of the
    product whose number was just given ("节假日呢" right after the DB2 number).
    """

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Utter the lead (if any), the topic's response and the product's line."""
        intent = tracker.latest_message.get("intent") or {}
        topic = topic_of(intent.get("full_retrieval_intent_name"))
        if topic is None:
            dispatcher.utter_message(response="utter_default")
            return []
        lead, topic = answer_for(topic, tracker.latest_message.get("text") or "")
        if lead:
            dispatcher.utter_message(text=lead)
        dispatcher.utter_message(response=f"utter_faq/{topic}")
        line = _line_just_given(tracker) if topic in HOURS_TOPICS else None
        if line:
            dispatcher.utter_message(text=render("faq_hours_line", line=line))
        return []


def _line_just_given(tracker: Tracker) -> str | None:
    """The number of the product the bot's previous answer was about, if any."""
    if previous_bot_action(tracker) not in HOTLINE_ACTIONS:
        return None
    named = tracker.get_slot("hotline_product")
    match = match_product(str(named)) if named else None
    if match is None:
        return None
    return services().hotline.line_text(match.product, tracker.get_slot("region"))
