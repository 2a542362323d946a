"""find_hotline, and the fallback that hands off on the second miss (actions.handoff)."""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import entity_values, services
from actions.handoff import ActionHandoff
from bot.services.hours import utc_now
from bot.textnorm import has_content

PAO_WORDS = ("pao", "passport")


class ActionFindHotline(Action):
    """Numbers for the products (and region) in the message, or ask which product."""

    def name(self) -> str:
        return "action_find_hotline"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        svc = services()
        text = (tracker.latest_message.get("text") or "").lower()
        products = entity_values(tracker, "product")
        if not products:
            products = [p.name for p in svc.hotline.catalogue.find_products(text)]
        region = svc.hotline.catalogue.region_of(
            " ".join(entity_values(tracker, "region")) or text
        ) or tracker.get_slot("region")
        pao = any(w in text for w in PAO_WORDS)
        reply = svc.hotline.answer(products, region, utc_now(), pao=pao)
        if reply.choices:
            buttons = [
                {"title": title, "payload": "/find_hotline" + json.dumps({"product": product})}
                for title, product in reply.choices
            ]
            dispatcher.utter_message(text=reply.text, buttons=buttons)
            return [SlotSet("hotline_pending", True)]
        dispatcher.utter_message(text=reply.text)
        return [SlotSet("hotline_pending", False), SlotSet("region", region)]


class ActionFallback(Action):
    """Ask to rephrase once; the second time in a row, offer a human."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if not has_content(tracker.latest_message.get("text") or ""):
            dispatcher.utter_message(response="utter_please_type")
            return []
        count = int(tracker.get_slot("fallback_count") or 0) + 1
        if count >= 2:
            await ActionHandoff().run(dispatcher, tracker, domain)
            return [SlotSet("fallback_count", 0)]
        dispatcher.utter_message(response="utter_rephrase")
        return [SlotSet("fallback_count", count)]
