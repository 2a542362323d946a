"""A message that names a thing and asks a set question gets a set intent.

Two such questions were misread by the classifiers in live conversations with a blind
tester, because the training data words them differently:

* "whom do I call for this product?" ("DB2宕机了打给谁", "Domino出问题找谁", "filenet rx")
  is a hotline request; the data asks for numbers ("热线", "电话多少"), so these were read
  as a fault report, an FAQ or not at all;
* "what was my case number again?" ("案例号多少来着", "PMR号再发我一下", "我今天开了哪些
  单子") asks about the conversation's own cases; these were read as off-topic.

* "how do we renew?" ("合同到期了咋续") is the renewal FAQ; it was read as a contract
  check, which asks for the customer number and never says how to renew.

A message that names one of ``entities`` (found by the catalogue rules) or contains one
of ``anchors``, and contains one of ``phrases``, gets ``intent`` – unless the models'
intent is one of ``keep``, or ``only`` is given and the models' intent is not in it, or
the message also has one of ``unless`` or names one of ``unless_entities``. With
``whole`` the message must hold nothing else but the entities named ("那周末呢？"
follows an answer about hours; "周末去哪玩呢" is not ours).
Without the thing named the models decide: "快递丢了找谁" is not ours. An FAQ topic
("faq/contract_renewal") sets the intent and the ResponseSelector's answer.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.components import RESPONSE_SELECTOR_KEY, InferenceComponent
from bot.nlu.memory import is_remembered, set_sure_intent
from bot.services.wording import words_pattern
from bot.textnorm import normalise


def phrase_pattern(phrases: list[Any]) -> re.Pattern[str]:
    """The configured phrases as one pattern (Latin ones whole words).

    Normalised as the messages are (simplified Mandarin, lower-case): a phrase written
    in Cantonese or traditional characters ("係幾多") matches what the TextNormaliser
    made of the customer's words ("是多少").
    """
    return words_pattern(tuple(normalise(str(p)).text.lower() for p in phrases))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class PhraseIntent(InferenceComponent):
    """Gives ``intent`` to a message naming an entity or anchor and asking a phrase."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The intent, what must be named (entities or anchor words), the phrases."""
        return {
            "intent": None,
            "entities": [],
            "anchors": [],
            "phrases": [],
            "keep": [],
            "only": [],
            "unless": [],
            "unless_entities": [],
            # The message holds nothing but anchors and phrases ("那周末呢？").
            "whole": False,
        }

    def __init__(self, config: dict[str, Any]) -> None:
        """Compile the phrases and anchors once."""
        super().__init__(config)
        self._phrases = phrase_pattern(config["phrases"])
        self._anchors = phrase_pattern(config["anchors"])
        self._kinds = frozenset(config["entities"])
        self._unless_kinds = frozenset(config["unless_entities"])
        self._keep = frozenset(config["keep"])
        self._only = frozenset(config["only"])
        self._unless = phrase_pattern(config["unless"])

    def process(self, messages: list[Message]) -> list[Message]:
        """Set the intent on every message that names the thing and asks the question."""
        intent, _, topic = str(self._config["intent"]).partition("/")
        for message in messages:
            predicted = (message.get(INTENT) or {}).get("name")
            if predicted in self._keep or (self._only and predicted not in self._only):
                continue
            if is_remembered(message):
                continue  # "快递一直没到 帮我催催" is labelled off-topic in the data
            text = (message.get(TEXT) or "").lower()
            entities = message.get(ENTITIES) or []
            kinds = {e.get("entity") for e in entities}
            named = bool(kinds & self._kinds) or self._anchors.search(text) is not None
            blocked = bool(kinds & self._unless_kinds) or self._unless.search(text) is not None
            if self._config["whole"] and not self._only_anchors_and_phrases(text, entities):
                continue
            if named and not blocked and self._phrases.search(text):
                set_sure_intent(message, intent)
                if topic:
                    _select_response(message, intent, f"{intent}/{topic}")
        return messages

    def _only_anchors_and_phrases(self, text: str, entities: list[dict[str, Any]]) -> bool:
        """True when ``text`` is anchors, phrases and the named entities alone.

        Spaces and punctuation aside: "WAS的有没有" names a product and asks.
        """
        for e in sorted(entities, key=lambda e: -int(e.get("start") or 0)):
            if e.get("entity") in self._kinds and e.get("end") is not None:
                text = text[: int(e.get("start") or 0)] + " " + text[int(e["end"]) :]
        rest = self._phrases.sub("", self._anchors.sub("", text))
        return not _FILLER.sub("", rest)


_FILLER = re.compile(r"[\s\W_]+")


def _select_response(message: Message, intent: str, key: str) -> None:
    """The ResponseSelector's answer for ``intent`` made ``key``, sure."""
    selectors = dict(message.get(RESPONSE_SELECTOR_KEY) or {})
    previous = selectors.get(intent) or {}
    chosen = {
        "responses": [],
        "confidence": 1.0,
        "intent_response_key": key,
        "utter_action": f"utter_{key}",
    }
    ranking = [r for r in previous.get("ranking") or [] if r.get("intent_response_key") != key]
    selectors[intent] = {
        **previous,
        "response": chosen,
        "ranking": [{"intent_response_key": key, "confidence": 1.0}, *ranking],
    }
    message.set(RESPONSE_SELECTOR_KEY, selectors, add_to_output=True)
