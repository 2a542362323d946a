"""What to offer when the NLU hesitated: the requests its ranking points at.

A pure function over a parse (no Rasa): ``candidates`` reads the intent ranking that
FallbackClassifier fell back on and picks the requests worth offering, each with its
button title and the wording a press sends (``bot/data/clarify.yml``).
``action_fallback`` shows them as choices.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.choice_words import choice_number
from bot.nlu.evidence import DomainEvidence, default_evidence
from bot.services.nlu_review import FALLBACK_INTENT, RETRIEVAL_INTENT
from bot.textnorm import normalise

RULES_PATH = Path(__file__).resolve().parents[1] / "data" / "clarify.yml"


@dataclass(frozen=True)
class Offer:
    """One request as a choice: the button's title and what pressing it sends."""

    label: str
    say: str


@dataclass(frozen=True)
class ClarifyRules:
    """Which requests may be offered, how, and how sure the NLU must be."""

    floor: float
    limit: int
    requests: Mapping[str, Offer]

    @classmethod
    def load(cls, path: Path = RULES_PATH) -> ClarifyRules:
        """Read the rules from ``path``."""
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls(
            floor=float(data["floor"]),
            limit=int(data["limit"]),
            requests={
                str(key): Offer(str(item["label"]), str(item["say"]))
                for key, item in data["requests"].items()
            },
        )


@functools.cache
def default_rules() -> ClarifyRules:
    """The rules of ``bot/data/clarify.yml``, read once."""
    return ClarifyRules.load()


def _faq_topic(parse: Mapping[str, Any]) -> str | None:
    response = ((parse.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}).get(
        "response"
    ) or {}
    key = response.get("intent_response_key")
    return str(key) if key else None


def candidates(
    parse: Mapping[str, Any],
    rules: ClarifyRules | None = None,
    evidence: DomainEvidence | None = None,
) -> list[Offer]:
    """The requests (at most ``limit``) worth offering, surest first.

    A request is offered when the ranking gives it ≥ ``floor``, nothing that is not a
    request (out_of_scope, inform, a reply …) ranks above it, and the message is about
    the domain or names the request's own words (the DomainGate's evidence) and no other
    company's product: "的地得怎么区分" leaned to an FAQ topic, but asking about
    severity levels would puzzle anyone.
    """
    rules = rules or default_rules()
    evidence = evidence or default_evidence()
    # The evidence's word lists are in the normalised spelling (simplified, lower case).
    text = normalise(str(parse.get("text") or "")).text
    entity_types = [str(e.get("entity")) for e in parse.get("entities") or []]
    if evidence.elsewhere(text, entity_types):
        return []  # another company's product or service ("Oracle数据库宕机了")
    ranking = sorted(
        (e for e in parse.get("intent_ranking") or [] if e.get("name") != FALLBACK_INTENT),
        key=lambda e: -float(e.get("confidence") or 0.0),
    )
    offers: list[Offer] = []
    for entry in ranking:
        if float(entry.get("confidence") or 0.0) < rules.floor or len(offers) == rules.limit:
            break
        name = str(entry.get("name"))
        key = (_faq_topic(parse) or "") if name == RETRIEVAL_INTENT else name
        offer = rules.requests.get(key)
        if offer is None:
            break  # a surer non-request: the message is more likely not a request at all
        # bot_challenge has no words of its own: it is about the bot, not the domain.
        about = key not in evidence.topics or evidence.supports(text, key, entity_types)
        if offer not in offers and about:
            offers.append(offer)
    return offers


def request_of(say: str, rules: ClarifyRules | None = None) -> str | None:
    """The request (intent or FAQ topic) whose offer sends ``say``, else None."""
    offers = (rules or default_rules()).requests
    return next((key for key, offer in offers.items() if offer.say == say), None)


def chosen_payload(text: str, buttons: Sequence[Mapping[str, Any]]) -> str | None:
    """The payload of the button a number or its words pick ("2", "第二个"), else None.

    Channels that show buttons as a numbered list (WeChat, Weibo) map numbers
    themselves; a REST client or web chat sends the number as text, and the bot's
    "请点选或回复序号" must hold there too (a ninth blind tester).
    """
    number = choice_number(text, len(buttons))  # "2", "第二个", "最后一个"
    if number is None or not 1 <= number <= len(buttons):
        return None
    index = number - 1
    payload = buttons[index].get("payload")
    return str(payload) if payload else None
