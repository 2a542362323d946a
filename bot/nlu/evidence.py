"""Domain evidence: does a message talk about the support desk's subjects at all?

The classifiers are closed-world: "为什么冬天手会干裂" still scores highest as some FAQ.
An answer on a topic should stand only when the message names something of the
domain (a product, a PPA / support term) or the topic's own key words. The word
lists live in ``bot/data/faq_keywords.yml``; products and keywords come from the
vocabulary the rest of the NLU uses.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.nlu.vocabulary import Vocabulary, default_vocabulary

KEYWORDS_PATH = Path(__file__).resolve().parent.parent / "data" / "faq_keywords.yml"
# Entities that only exist in this domain: finding one is evidence by itself.
DOMAIN_ENTITIES = frozenset(
    {"product", "contract_number", "customer_number", "case_id", "error_code", "severity"}
)


class _Matcher:
    """Finds any of a set of words; Latin words only as whole words ("mq" ≠ "mqtt")."""

    def __init__(self, words: Iterable[str]) -> None:
        latin: set[str] = set()
        other: set[str] = set()
        for word in {str(w).strip().lower() for w in words if str(w).strip()}:
            (latin if re.fullmatch(r"[a-z0-9 ./&+*_-]+", word) else other).add(word)
        parts = [re.escape(w) for w in sorted(other, key=len, reverse=True)]
        parts += [
            rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])"
            for w in sorted(latin, key=len, reverse=True)
        ]
        self._pattern = re.compile("|".join(parts)) if parts else None

    def search(self, text: str) -> bool:
        """True when one of the words occurs in ``text``."""
        return bool(self._pattern and self._pattern.search(text.lower()))


@dataclass(frozen=True)
class DomainEvidence:
    """Word lists for the domain as a whole and for each topic (FAQ key or intent)."""

    domain: _Matcher
    topics: Mapping[str, _Matcher]

    def supports(
        self, text: str, topic: str | None = None, entity_types: Iterable[str] = ()
    ) -> bool:
        """True when ``text`` is about the domain, or about ``topic`` in particular."""
        if DOMAIN_ENTITIES.intersection(entity_types):
            return True
        if self.domain.search(text):
            return True
        matcher = self.topics.get(topic or "")
        return bool(matcher and matcher.search(text))


def load_evidence(
    path: Path = KEYWORDS_PATH, vocabulary: Vocabulary | None = None
) -> DomainEvidence:
    """Build the matchers from the keyword file plus the NLU vocabulary."""
    vocab = vocabulary or default_vocabulary()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    domain_words = [*data.get("domain", []), *vocab.product_terms(), *vocab.keywords]
    topics = {name: _Matcher(words) for name, words in (data.get("topics") or {}).items()}
    return DomainEvidence(domain=_Matcher(domain_words), topics=topics)


@functools.lru_cache(maxsize=1)
def default_evidence() -> DomainEvidence:
    """The evidence from the project's own files, built once per process."""
    return load_evidence()
