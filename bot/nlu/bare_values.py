"""A message that is nothing but values is an answer: ``inform``.

When the bot asks "which product?", customers answer "FileNet", "Lotus Notes",
"AIX 7.2" or "华南". The classifiers know the products written often in the training
data ("DB2", "Cognos"), but a product named rarely there is read by its letters:
"Maximo" as a fault report, "Tivoli" as a hotline request. The entity rules know
every catalogue product, region, version and number, so a message they cover
entirely (spaces and punctuation aside) gets ``inform``, as the annotation guide
labels such bare values. A few ``particles`` may stand around them: "tivoli呢" and
"那filenet呢" right after a product's hotline ask for the next product's, and were read as
a fault report or not at all (found by a blind tester). A value may also carry its
field's name ("案例号 PMR-250318-0412", "我们的客户号是8801234", "版本是11.5.8", "我在上海"):
``labels`` of an entity kind present may be left over, and then ``connectors`` (是,
我们的 …) too. A label of a kind not named is not: "DB2电话" asks for a number.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.choice_words import may_be_choice
from bot.nlu.components import InferenceComponent
from bot.nlu.memory import is_remembered, set_sure_intent
from bot.services.wording import alternation, words_pattern
from bot.textnorm import has_content


def only_values(
    text: str,
    entities: list[dict[str, Any]],
    kinds: frozenset[str],
    particles: Collection[str] = (),
    labels: Mapping[str, Collection[str]] | None = None,
    connectors: Collection[str] = (),
) -> bool:
    """True when entities of ``kinds`` cover every letter, digit and character of ``text``.

    ``particles`` ("呢", "那") may be left over; so may the ``labels`` of the entity
    kinds found ("客户号" with a customer number), and with a label ``connectors`` ("是").
    """
    found = [
        e
        for e in entities
        if e.get("entity") in kinds and e.get("start") is not None and e.get("end") is not None
    ]
    if not found or not has_content(text):
        return False
    rest = list(text)
    for e in found:
        start, end = int(e["start"]), int(e["end"])
        rest[start:end] = " " * (end - start)
    left = "".join(rest)
    named = tuple(str(w).lower() for e in found for w in (labels or {}).get(str(e["entity"]), ()))
    if named:
        left, count = words_pattern(named).subn(" ", left)
        if count and connectors:
            left = re.sub(alternation(connectors), " ", left)
    if particles:
        left = re.sub(alternation(particles), " ", left)
    return not has_content(left)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class BareValueIntent(InferenceComponent):
    """Gives a message made only of values (``entities``) the ``intent`` at confidence 1."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The answer intent and the entity types that count as values."""
        return {"intent": "inform", "entities": [], "particles": [], "labels": {}, "connectors": []}

    def process(self, messages: list[Message]) -> list[Message]:
        """Set the answer intent on every message that is only values."""
        intent = str(self._config["intent"])
        kinds = frozenset(self._config["entities"])
        particles = [str(p).lower() for p in self._config.get("particles", ())]
        labels = self._config.get("labels") or {}
        connectors = [str(c).lower() for c in self._config.get("connectors", ())]
        for message in messages:
            text = message.get(TEXT) or ""
            entities = message.get(ENTITIES) or []
            if is_remembered(message):
                continue
            if only_values(text, entities, kinds, particles, labels, connectors):
                set_sure_intent(message, intent)
            elif may_be_choice(text):
                # "第二个", "最后一个": a choice among the buttons just shown, which the
                # actions read (a twelfth blind tester's got the off-topic answer).
                set_sure_intent(message, intent)
        return messages
