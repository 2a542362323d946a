"""A message written exactly as a training example gets that example's intent.

DIET fits its training data to ≈ 99.5 %, and the rest are often the short replies
customers send most: "88" is trained as goodbye but its digits make it look like a
number given as an answer, so it was read as ``inform`` at 0.95. A label someone
wrote down, or a reviewer gave a misunderstood message (``python -m bot nlu review``),
should hold for that very text. Texts are compared without spaces and punctuation
("好的。" = "好的"), after the TextNormaliser (simplified, lower-case). A text that
the training data gives two intents is not remembered: the model decides.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.persisted import PersistedComponent, labelled_texts

MEMORY_FILE = "memory.json"
# Set on a message the memory recognised: the rule components after it leave it alone,
# so a label from the data or a reviewer holds for its very text.
REMEMBERED = "ppa_remembered"


def memory_key(text: str) -> str:
    """``text`` without whitespace, punctuation or symbols: what the memory compares."""
    return "".join(c for c in text if unicodedata.category(c)[0] in "LN")


def remembered_intents(examples: list[tuple[str, str]]) -> dict[str, str]:
    """Key → intent for every text that all its examples give one intent."""
    seen: dict[str, set[str]] = {}
    for text, intent in examples:
        key = memory_key(text)
        if key:
            seen.setdefault(key, set()).add(intent)
    return {key: intents.pop() for key, intents in seen.items() if len(intents) == 1}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TrainingMemory(PersistedComponent):
    """Sets the remembered intent, sure, on a message equal to a training example."""

    FILE = MEMORY_FILE

    def __init__(
        self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource
    ) -> None:
        """An empty memory until trained or restored."""
        super().__init__(config, model_storage, resource)
        self._memory: dict[str, str] = {}

    def restore(self, data: bytes) -> None:
        """The memory persisted with the model."""
        self._memory = json.loads(data.decode("utf-8"))

    def train(self, training_data: TrainingData) -> Resource:
        """Remember every unambiguous training text and persist it with the model."""
        self._memory = remembered_intents(labelled_texts(training_data))
        return self.persist(json.dumps(self._memory, ensure_ascii=False).encode("utf-8"))

    def process(self, messages: list[Message]) -> list[Message]:
        """Give a remembered text its intent at confidence 1, the others 0."""
        for message in messages:
            intent = self._memory.get(memory_key(message.get(TEXT) or ""))
            if intent is not None:
                set_sure_intent(message, intent)
                message.set(REMEMBERED, True)
        return messages


def set_sure_intent(message: Message, intent: str) -> None:
    """Give ``message`` the intent at confidence 1, every other intent 0."""
    ranking = [
        {**r, "confidence": 0.0}
        for r in message.get(INTENT_RANKING_KEY) or []
        if r.get("name") != intent
    ]
    sure = {"name": intent, "confidence": 1.0}
    message.set(INTENT, sure, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [sure, *ranking], add_to_output=True)


def is_remembered(message: Message) -> bool:
    """True when the memory gave ``message`` its intent (a training or reviewed text)."""
    return bool(message.get(REMEMBERED))
