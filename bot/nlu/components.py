"""Custom Rasa NLU components: input normalisation and entity resolution.

Importing this module also registers the spaCy pieces (tokenizer, keyword component)
that ``SpacyNLP`` needs to load ``build/spacy_zh``; it changes nothing else in Rasa
(the action-server adjustments are ``bot.rasa``'s, installed by ``python -m bot.rasa``).
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

import bot.nlu.spacy_pipeline  # noqa: F401  (registers spaCy factories)
from bot.nlu.evidence import GATED_KEY
from bot.nlu.vocabulary import default_vocabulary
from bot.textnorm import SpacingFixer, has_content, has_digit, normalise, strip_control
from bot.validators import parse_account_id, parse_email, parse_phone

# Shapes the spaCy rules recognise exactly; for these the rule beats DIET's guess.
RULE_TYPES = {"phone", "email", "case_id", "version", "error_code", "severity", "region"}
RULE_EXTRACTOR = "SpacyEntityExtractor"
ORIGINAL_TEXT = "ppa_original_text"


class InferenceComponent(GraphComponent):
    """A component with no training and no state: the Rasa boilerplate, once."""

    def __init__(self, config: dict[str, Any]) -> None:
        """Keep the component's configuration from config.yml."""
        self._config = config

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        """Rasa's factory: nothing to load, so just the configuration."""
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training data passes through unchanged."""
        return training_data


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class TextNormaliser(InferenceComponent):
    """Half-width, simplified, lower-case Latin, no spaces inside product names.

    Runs first, on training data and on every message, so everything after it sees
    one spelling. Entity annotations in training data are moved with the text.
    """

    def __init__(self, config: dict[str, Any]) -> None:
        """Build the spacing fixer from the catalogue's product terms once."""
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
        """Normalise every training example (annotations move with the text)."""
        for example in training_data.training_examples:
            self._normalise(example)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Normalise each incoming message in place."""
        for message in messages:
            self._normalise(message)
        return messages


# A learned product shorter than this must be a catalogue name as written: DIET's
# value for a misspelt long name ("websphre") still resolves by similarity, a two-
# letter English word does not.
MIN_UNLISTED_PRODUCT = 4


def learned_product(value: str) -> str | None:
    """``value`` when it can name a product, else None.

    A catalogue term, or long enough to be a misspelling of one.
    """
    key = value.strip().lower()
    if _other_vendor(key):
        return None  # "tomcat", "weblogic": a product, but not one of ours
    if len(key.replace(" ", "")) >= MIN_UNLISTED_PRODUCT or key in _product_terms():
        return key
    return None


def learned_os(value: str) -> str | None:
    """``value`` when it can name an operating system: it has a letter.

    DIET tagged the "500" of "websphere应用服务器报500错误了" and the "07" of a log's
    date as the OS, and a blind tester's cases went out with them.
    """
    return value if _LETTER.search(value) else None


def learned_version(value: str) -> str | None:
    """``value`` when it can be a version: it has a digit (DIET tagged a lone "." of a log)."""
    return value if has_digit(value) else None


_LETTER = re.compile(r"[A-Za-z\u4e00-\u9fff]")
# A log line's time stamp ("2026-12-07-17.01.11.123456+480", "2026/12/07 17:01:11"):
# the numbers inside it are no version, OS or phone.
_TIMESTAMP = re.compile(
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[-T ]\d{1,2}[.:]\d{2}(?:[.:]\d{2}(?:[.,]\d+)?)?)?"
    r"(?:[+-]\d{3,4})?"
)
_NOT_IN_TIMESTAMPS = {"version", "os", "phone"}


def _other_vendor(key: str) -> bool:
    from bot.nlu.evidence import default_evidence

    return default_evidence().other_vendors.search(key)


@functools.lru_cache(maxsize=1)
def _product_terms() -> frozenset[str]:
    return frozenset(default_vocabulary().product_terms())


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class EntityResolver(InferenceComponent):
    """Merges the rule-based (spaCy) and learned (DIET) entities into one clean list.

    Both extractors often find the same value; slots must get it once. Where they
    overlap, exact shapes (phone, e-mail, case id …) trust the rules and the rest
    trusts DIET, which sees the context ("在 AIX 上" is an OS, "AIX 热线" a product).
    A value after a keyword such as 客户号 keeps the rule's label. A learned phone,
    e-mail, customer or contract number that is not shaped like one ("500" in
    "首页一直500", "x86" in "x86服务器", "88" for byebye) is dropped: the value is the
    proof, and the rules already found every well-formed phone and e-mail. So is a
    learned product of one to three characters that no catalogue name spells ("as"
    in "as bad as before", a piece of "AS/400"), and one that is another company's
    ("tomcat", ``other_vendors`` of ``faq_keywords.yml``).
    """

    SHAPES = {
        "product": learned_product,
        "os": learned_os,
        "version": learned_version,
        "phone": parse_phone,
        "email": parse_email,
        "customer_number": parse_account_id,
        "contract_number": parse_account_id,
    }

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

    def _well_shaped(self, ent: dict[str, Any]) -> bool:
        shape = self.SHAPES.get(ent["entity"])
        if shape is None or ent.get("extractor") == RULE_EXTRACTOR:
            return True
        return shape(str(ent.get("value") or "")) is not None

    def resolve(self, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One well-shaped entity per text span, best source first, in text order."""
        chosen: list[dict[str, Any]] = []
        candidates = [e for e in entities if self._well_shaped(e)]
        for ent in sorted(candidates, key=lambda e: (self._rank(e), e["start"])):
            if any(ent["start"] < c["end"] and c["start"] < ent["end"] for c in chosen):
                continue
            chosen.append(ent)
        return sorted(chosen, key=lambda e: e["start"])

    @staticmethod
    def join_os_versions(entities: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
        """An OS directly followed by a version is one OS ("AIX 7.2", as annotated).

        DIET sometimes tags the two tokens apart, and the intake wants the version too.
        """
        joined: list[dict[str, Any]] = []
        for ent in entities:
            prev = joined[-1] if joined else None
            if (
                prev is not None
                and prev["entity"] == "os"
                and ent["entity"] == "version"
                and not text[prev["end"] : ent["start"]].strip()
            ):
                value = text[prev["start"] : ent["end"]]
                joined[-1] = {**prev, "end": ent["end"], "value": value}
                continue
            joined.append(ent)
        return joined

    @staticmethod
    def inside_a_word(ent: dict[str, Any], text: str) -> bool:
        """True for a product that starts inside a Latin word.

        The catalogue rules found the "ics" of "SPSS Statistics" (the tokenizer cuts
        Latin words at the dictionary's terms) and a blind tester got the ICS line for
        SPSS; no product name starts in the middle of a word.
        """
        start = ent.get("start")
        if ent.get("entity") != "product":
            return False
        if not isinstance(start, int) or not 0 < start < len(text):
            return False
        return text[start - 1].isascii() and text[start - 1].isalpha() and text[start].isalpha()

    @staticmethod
    def in_a_timestamp(ent: dict[str, Any], stamps: list[tuple[int, int]]) -> bool:
        """True for a version, OS or phone inside a log line's time stamp."""
        if ent.get("entity") not in _NOT_IN_TIMESTAMPS:
            return False
        start, end = ent.get("start"), ent.get("end")
        if not isinstance(start, int) or not isinstance(end, int):
            return False
        return any(start < e and s < end for s, e in stamps)

    def process(self, messages: list[Message]) -> list[Message]:
        """Replace each message's entities with the resolved list."""
        for message in messages:
            entities: list[dict[str, Any]] | None = message.get(ENTITIES)
            if entities:
                text = message.get(TEXT) or ""
                stamps = [m.span() for m in _TIMESTAMP.finditer(text)]
                entities = [
                    e
                    for e in entities
                    if not self.inside_a_word(e, text) and not self.in_a_timestamp(e, stamps)
                ]
                resolved = self.join_os_versions(self.resolve(entities), text)
                message.set(ENTITIES, resolved, add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class TextRestorer(InferenceComponent):
    """Puts the customer's own text back after the models ran.

    Actions read ``latest_message.text``: a pasted error log or a company name must
    reach them as typed, not lower-cased. Entity offsets stay valid because the
    normaliser keeps lengths (except spaces dropped inside product names).
    """

    def process(self, messages: list[Message]) -> list[Message]:
        """Restore the original text of each message the normaliser changed."""
        for message in messages:
            original = message.get(ORIGINAL_TEXT)
            if original is not None:
                message.set(TEXT, strip_control(original))
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class InputGuard(InferenceComponent):
    """Empty, whitespace, emoji-only or control-character input is not a question.

    The classifiers always pick some intent, even for "😀😀"; this marks such
    input ``nlu_fallback`` with full confidence so the bot asks the customer to type.
    """

    def process(self, messages: list[Message]) -> list[Message]:
        """Mark contentless messages as ``nlu_fallback``."""
        for message in messages:
            if not has_content(message.get(TEXT) or ""):
                fallback = {"name": "nlu_fallback", "confidence": 1.0}
                message.set(INTENT, fallback, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [fallback], add_to_output=True)
                message.set(ENTITIES, [], add_to_output=True)
        return messages


# Issue #13: the open world. Appended last so edits at the top of the file merge cleanly.
FAQ_INTENT = "faq"
OUT_OF_SCOPE = "out_of_scope"
RESPONSE_SELECTOR_KEY = "response_selector"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class DomainGate(InferenceComponent):
    """Off-topic unless the message is about the domain.

    The classifiers always pick a known intent, so everyday chit-chat used to get
    the answer to "what is PPA". An FAQ answer stands only when the ResponseSelector
    is confident *and* the message has domain evidence (``bot/nlu/evidence.py``), or
    when the selector is at least ``faq_domain_threshold`` sure and the message names
    the domain itself, or when the selector's confidence in the topics whose own words
    the message has (the chosen one among them) adds up to ``faq_threshold``; a flow
    intent below ``flow_threshold`` (any, when it is None) needs evidence too. Neither
    stands when the message is about another company's product and nothing of ours
    ("思科交换机的技术热线"). Otherwise the intent becomes ``out_of_scope`` with the same
    confidence, ranked first.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Thresholds and gated flows; config.yml overrides them."""
        return {
            "faq_threshold": 0.7,
            "faq_domain_threshold": None,
            "flow_threshold": 0.9,
            "flow_intents": [],
        }

    def __init__(self, config: dict[str, Any]) -> None:
        """Read the thresholds and load the word lists once."""
        super().__init__(config)
        from bot.nlu.evidence import default_evidence

        self._evidence = default_evidence()
        self._faq_threshold = float(config["faq_threshold"])
        # A less sure FAQ answer may stand when the message names the domain itself
        # (PPA, PAO, a product …), not only the topic's everyday words. None: no such tier.
        domain_threshold = config["faq_domain_threshold"]
        self._faq_domain_threshold = (
            self._faq_threshold if domain_threshold is None else float(domain_threshold)
        )
        # None: a flow always needs evidence, however sure the classifier is.
        flow_threshold = config["flow_threshold"]
        self._flow_threshold = math.inf if flow_threshold is None else float(flow_threshold)
        self._flows = frozenset(config["flow_intents"])

    @staticmethod
    def _faq_selection(message: Message) -> dict[str, Any]:
        """The ResponseSelector's output for the FAQ: its chosen ``response`` and ``ranking``."""
        return (message.get(RESPONSE_SELECTOR_KEY) or {}).get(FAQ_INTENT) or {}

    def _topic_and_confidence(self, message: Message, intent: dict[str, Any]) -> tuple[str, float]:
        """The topic to look for and the confidence the gate compares."""
        name = str(intent.get("name"))
        if name != FAQ_INTENT:
            return name, float(intent.get("confidence") or 0.0)
        response = self._faq_selection(message).get("response") or {}
        key = response.get("intent_response_key")
        return (str(key) if key else name), float(response.get("confidence") or 0.0)

    def _topics_with_words(self, message: Message, topic: str, text: str) -> float:
        """The selector's confidence summed over the topics whose own words the text has.

        0 unless the chosen topic is one of them. A question the selector splits
        between two close topics ("有没有官方网页可以查资料": websites 0.55, online
        support 0.45) is no less about the guide for being split.
        """
        ranking = [
            (str(r.get("intent_response_key")), float(r.get("confidence") or 0.0))
            for r in self._faq_selection(message).get("ranking") or []
        ]
        named = self._evidence.named_topics(text, {topic, *(key for key, _ in ranking)})
        if topic not in named:
            return 0.0
        return sum(confidence for key, confidence in ranking if key in named)

    def stands(self, message: Message) -> bool:
        """True when the predicted intent may stay as it is."""
        intent = message.get(INTENT) or {}
        name = intent.get("name")
        if name != FAQ_INTENT and name not in self._flows:
            return True
        topic, confidence = self._topic_and_confidence(message, intent)
        text = message.get(TEXT) or ""
        types = [str(e.get("entity")) for e in message.get(ENTITIES) or []]
        if self._evidence.elsewhere(text, types):
            return False
        if name != FAQ_INTENT:
            return confidence >= self._flow_threshold or self._evidence.supports(text, topic, types)
        if confidence >= self._faq_threshold:
            return self._evidence.supports(text, topic, types)
        if self._topics_with_words(message, topic, text) >= self._faq_threshold:
            return True
        if confidence >= self._faq_domain_threshold:
            return self._evidence.about_domain(text, types)
        return False

    def process(self, messages: list[Message]) -> list[Message]:
        """Turn every message without evidence for its topic into ``out_of_scope``."""
        for message in messages:
            if self.stands(message):
                continue
            intent = message.get(INTENT) or {}
            label, confidence = self._topic_and_confidence(message, intent)
            message.set(GATED_KEY, {"name": label, "confidence": confidence}, add_to_output=True)
            gated = {"name": OUT_OF_SCOPE, "confidence": float(intent.get("confidence") or 0.0)}
            ranking = [
                r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != OUT_OF_SCOPE
            ]
            message.set(INTENT, gated, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [gated, *ranking], add_to_output=True)
        return messages
