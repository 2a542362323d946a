"""Custom Rasa NLU components: input normalisation and entity resolution.

Importing this module also registers the spaCy pieces (tokenizer, keyword component)
that ``SpacyNLP`` needs to load ``build/spacy_zh``.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

import bot.nlu.spacy_pipeline  # noqa: F401  (registers spaCy factories)
from bot import action_schema, handoff_gate, resilience
from bot.nlu.vocabulary import default_vocabulary
from bot.textnorm import SpacingFixer, has_content, normalise, strip_control

# The Rasa server imports this module to load the model: make it resilient to a
# missing action server there (bot/resilience.py) and stop it rebuilding the
# action-response schema validator on every custom action (bot/action_schema.py).
resilience.install()
action_schema.install()
# Live handoff: muted conversations, 取消, CSAT answers, pending agent messages
# (module level, not in a component class: class sources are in Rasa's fingerprint).
handoff_gate.install()

# Shapes the spaCy rules recognise exactly; for these the rule beats DIET's guess.
RULE_TYPES = {"phone", "email", "case_id", "version", "error_code", "severity", "region"}
RULE_EXTRACTOR = "SpacyEntityExtractor"
ORIGINAL_TEXT = "ppa_original_text"


class _InferenceComponent(GraphComponent):
    """A component with no training and no state: the Rasa boilerplate, once."""

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = config

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class TextNormaliser(_InferenceComponent):
    """Half-width, simplified, lower-case Latin, no spaces inside product names.

    Runs first, on training data and on every message, so everything after it sees
    one spelling. Entity annotations in training data are moved with the text.
    """

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self._fixer = SpacingFixer(default_vocabulary().product_terms())

    def _normalise(self, message: Message) -> None:
        text = message.get(TEXT)
        if not text:
            return
        result = normalise(text, self._fixer)
        new_text = result.text.lower()
        if new_text == text:
            return
        message.set(ORIGINAL_TEXT, text)
        entities = message.get(ENTITIES)
        if entities:
            moved = []
            for ent in entities:
                ent = dict(ent)
                ent["start"] = result.to_normalised(ent["start"])
                ent["end"] = result.to_normalised(ent["end"])
                moved.append(ent)
            message.set(ENTITIES, moved)
        message.set(TEXT, new_text)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._normalise(example)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._normalise(message)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class EntityResolver(_InferenceComponent):
    """Merges the rule-based (spaCy) and learned (DIET) entities into one clean list.

    Both extractors often find the same value; slots must get it once. Where they
    overlap, exact shapes (phone, e-mail, case id …) trust the rules and the rest
    trusts DIET, which sees the context ("在 AIX 上" is an OS, "AIX 热线" a product).
    A value after a keyword such as 客户号 keeps the rule's label.
    """

    @staticmethod
    def _rank(ent: dict[str, Any]) -> int:
        from_rules = ent.get("extractor") == RULE_EXTRACTOR
        trusted = ent["entity"] in RULE_TYPES or ent["entity"] in (
            "customer_number",
            "contract_number",
        )
        if from_rules and trusted:
            return 0
        if not from_rules:
            return 1
        return 2

    def resolve(self, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One entity per text span, best source first, in text order."""
        chosen: list[dict[str, Any]] = []
        for ent in sorted(entities, key=lambda e: (self._rank(e), e["start"])):
            if any(ent["start"] < c["end"] and c["start"] < ent["end"] for c in chosen):
                continue
            chosen.append(ent)
        return sorted(chosen, key=lambda e: e["start"])

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            entities: list[dict[str, Any]] | None = message.get(ENTITIES)
            if entities:
                message.set(ENTITIES, self.resolve(entities), add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class TextRestorer(_InferenceComponent):
    """Puts the customer's own text back after the models ran.

    Actions read ``latest_message.text``: a pasted error log or a company name must
    reach them as typed, not lower-cased. Entity offsets stay valid because the
    normaliser keeps lengths (except spaces dropped inside product names).
    """

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            original = message.get(ORIGINAL_TEXT)
            if original is not None:
                message.set(TEXT, strip_control(original))
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class InputGuard(_InferenceComponent):
    """Empty, whitespace, emoji-only or control-character input is not a question.

    The classifiers always pick some intent, even for "😀😀"; this marks such
    input ``nlu_fallback`` with full confidence so the bot asks the customer to type.
    """

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if not has_content(message.get(TEXT) or ""):
                fallback = {"name": "nlu_fallback", "confidence": 1.0}
                message.set(INTENT, fallback, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [fallback], add_to_output=True)
                message.set(ENTITIES, [], add_to_output=True)
        return messages
