"""“Whom do I call for this product?” is a hotline request: ``find_hotline``.

Customers ask for the support line as a question about a person: "DB2宕机了打给谁",
"Domino出问题找谁", "Cognos有问题联系谁", "filenet rx". The training data asks for numbers
("热线", "电话多少"), so the classifiers read these as a fault report, an FAQ or not at
all (found by a blind tester in live conversations). A message that names a product
(an entity the catalogue rules found) and asks whom to contact gets ``find_hotline``.
Without a product the model decides: "快递丢了找谁" is not ours.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.components import InferenceComponent
from bot.nlu.memory import set_sure_intent


def contact_pattern(phrases: list[str]) -> re.Pattern[str]:
    """The phrases as one pattern; a Latin phrase only as whole words ("rx", not "xrx")."""
    parts = [
        rf"(?<![a-z]){re.escape(p)}(?![a-z])" if p.isascii() else re.escape(p)
        for p in sorted(set(phrases), key=len, reverse=True)
    ]
    return re.compile("|".join(parts) or r"(?!)")  # no phrases: matches nothing


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class ContactQuestionIntent(InferenceComponent):
    """Gives ``intent`` to a message naming one of ``entities`` and a ``phrases`` question."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The hotline intent, the entity that must be named, the question phrases."""
        return {"intent": "find_hotline", "entities": ["product"], "phrases": []}

    def __init__(self, config: dict[str, Any]) -> None:
        """Compile the phrases once."""
        super().__init__(config)
        self._pattern = contact_pattern([str(p).lower() for p in config["phrases"]])
        self._kinds = frozenset(config["entities"])

    def process(self, messages: list[Message]) -> list[Message]:
        """Set the intent on every message that names a product and asks whom to call."""
        intent = str(self._config["intent"])
        for message in messages:
            entities = message.get(ENTITIES) or []
            if not any(e.get("entity") in self._kinds for e in entities):
                continue
            if self._pattern.search((message.get(TEXT) or "").lower()):
                set_sure_intent(message, intent)
        return messages
