"""A message that is nothing but values is an answer: ``inform``.

When the bot asks "which product?", customers answer "FileNet", "Lotus Notes",
"AIX 7.2" or "华南". The classifiers know the products written often in the training
data ("DB2", "Cognos"), but a product named rarely there is read by its letters:
"Maximo" as a fault report, "Tivoli" as a hotline request. The entity rules know
every catalogue product, region, version and number, so a message they cover
entirely (spaces and punctuation aside) gets ``inform``, as the annotation guide
labels such bare values. A few ``particles`` may stand around them: "tivoli呢" and
"那filenet呢" right after a product's hotline ask for the next product's, and were read as
a fault report or not at all (found by a blind tester).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.components import InferenceComponent
from bot.nlu.memory import set_sure_intent
from bot.services.wording import alternation
from bot.textnorm import has_content


def only_values(
    text: str,
    entities: list[dict[str, Any]],
    kinds: frozenset[str],
    particles: Collection[str] = (),
) -> bool:
    """True when entities of ``kinds`` cover every letter, digit and character of ``text``.

    ``particles`` ("呢", "那") may be left over.
    """
    spans = [
        (int(e["start"]), int(e["end"]))
        for e in entities
        if e.get("entity") in kinds and e.get("start") is not None and e.get("end") is not None
    ]
    if not spans or not has_content(text):
        return False
    rest = list(text)
    for start, end in spans:
        rest[start:end] = " " * (end - start)
    left = "".join(rest)
    if particles:
        left = re.sub(alternation(particles), " ", left)
    return not has_content(left)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class BareValueIntent(InferenceComponent):
    """Gives a message made only of values (``entities``) the ``intent`` at confidence 1."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The answer intent and the entity types that count as values."""
        return {"intent": "inform", "entities": [], "particles": []}

    def process(self, messages: list[Message]) -> list[Message]:
        """Set the answer intent on every message that is only values."""
        intent = str(self._config["intent"])
        kinds = frozenset(self._config["entities"])
        particles = [str(p).lower() for p in self._config.get("particles", ())]
        for message in messages:
            text = message.get(TEXT) or ""
            if only_values(text, message.get(ENTITIES) or [], kinds, particles):
                set_sure_intent(message, intent)
        return messages
