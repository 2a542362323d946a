"""Domain evidence: does a message talk about the support desk's subjects at all?

The classifiers are closed-world: "为什么冬天手会干裂" still scores highest as some FAQ.
An answer on a topic should stand only when the message names something of the
domain (a product, a PPA / support term) or the topic's own key words. The word
lists live in ``bot/data/faq_keywords.yml``; products and keywords come from the
vocabulary the rest of the NLU uses.

Customers type on phones with a pinyin IME: a wrong homophone ("电化" for 电话,
"和同" for 合同) or the pinyin itself ("rexian", "xuyue") is as much a domain word as
the right characters. So a word of two or more characters also matches by sound:
the same syllables with the same tones in the Chinese text, or its toneless
syllables run together inside a Latin word.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.nlu.pinyin import Style, lazy_pinyin, spelled_syllables
from bot.nlu.vocabulary import Vocabulary, default_vocabulary

# The parse key under which the DomainGate leaves what it turned into out_of_scope
# ({"name": intent or faq/<topic>, "confidence"}); action_out_of_scope records it.
GATED_KEY = "domain_gate"
KEYWORDS_PATH = Path(__file__).resolve().parent.parent / "data" / "faq_keywords.yml"
# Entities that only exist in this domain: finding one is evidence by itself.
DOMAIN_ENTITIES = frozenset(
    {"product", "contract_number", "customer_number", "case_id", "error_code", "severity"}
)
# Entities that make a message ours even when it names another company ("DB2 on RHEL").
OURS_ENTITIES = DOMAIN_ENTITIES | {"os"}


_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_LATIN_RUN = re.compile(r"[a-z]+")
_SPACED_LATIN = re.compile(r"[a-z]+(?:\s+[a-z]+)+")
# Toneless pinyin shorter than this ("fuwu", "jishu") hides inside English words.
MIN_SPELLED_PINYIN = 5


def _syllables(han: str) -> tuple[str, ...]:
    """Tone-numbered syllables of Chinese characters: 电话 → ("dian4", "hua4")."""
    return tuple(lazy_pinyin(han, style=Style.TONE3, neutral_tone_with_five=True))


@dataclass(frozen=True)
class Sounds:
    """What a message sounds like: syllables of each Chinese run, and its Latin words."""

    han_runs: tuple[tuple[str, ...], ...]
    latin_words: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> Sounds:
        """The sounds of ``text`` (normalised: simplified, lower-case Latin)."""
        lowered = text.lower()
        return cls(
            han_runs=tuple(_syllables(run) for run in _HAN_RUN.findall(lowered)),
            latin_words=(*_LATIN_RUN.findall(lowered), *_pinyin_phrases(lowered)),
        )


def _pinyin_phrases(text: str) -> list[str]:
    """Runs of two or more pinyin words run together: "zhuan ren gong" → "zhuanrengong".

    Customers who type pinyin without the IME space it by syllable or word ("he tong
    guo qi mei you"), so no single word spells a domain word of five or more letters.
    Only words that are pinyin themselves join ("hello tong" does not).
    """
    phrases: list[str] = []
    for run in _SPACED_LATIN.findall(text):
        words = run.split()
        current: list[str] = []
        for word in [*words, ""]:
            if word and spelled_syllables(word) is not None:
                current.append(word)
                continue
            if len(current) >= 2:
                phrases.append("".join(current))
            current = []
    return phrases


class _Matcher:
    """Finds any of a set of words; Latin words only as whole words ("mq" ≠ "mqtt").

    Chinese words of two or more characters also match by sound (module docstring).
    """

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
        chinese = [w for w in other if _HAN_RUN.fullmatch(w) and len(w) >= 2]
        sounds = {_syllables(w) for w in chinese}
        # Keyed by first syllable: a message is scanned once, not once per word.
        self._by_first: dict[str, list[tuple[str, ...]]] = {}
        for syllables in sounds:
            self._by_first.setdefault(syllables[0], []).append(syllables)
        spelled = {"".join(s.rstrip("012345") for s in syllables) for syllables in sounds}
        self._spelled = frozenset(w for w in spelled if len(w) >= MIN_SPELLED_PINYIN)

    def search(self, text: str) -> bool:
        """True when one of the words is written in ``text`` (not by sound)."""
        return bool(self._pattern and self._pattern.search(text.lower()))

    def sounds_like(self, sounds: Sounds) -> bool:
        """True when a word's syllables, or its pinyin spelled out, occur in ``sounds``."""
        for run in sounds.han_runs:
            for i, syllable in enumerate(run):
                words = self._by_first.get(syllable, ())
                if any(run[i : i + len(word)] == word for word in words):
                    return True
        return any(w in latin for latin in sounds.latin_words for w in self._spelled)


@dataclass(frozen=True)
class DomainEvidence:
    """Word lists for the domain as a whole and for each topic (FAQ key or intent)."""

    domain: _Matcher
    topics: Mapping[str, _Matcher]
    # Other companies' products and services, and what is ours even next to them.
    other_vendors: _Matcher = field(default_factory=lambda: _Matcher(()))
    ours: _Matcher = field(default_factory=lambda: _Matcher(()))

    def supports(
        self, text: str, topic: str | None = None, entity_types: Iterable[str] = ()
    ) -> bool:
        """True when ``text`` is about the domain, or about ``topic`` in particular."""
        matcher = self.topics.get(topic or "")
        return self._found(text, [self.domain, *([matcher] if matcher else [])], entity_types)

    def named_topics(self, text: str, topics: Iterable[str]) -> set[str]:
        """Those of ``topics`` whose own words ``text`` has (the domain's do not count)."""
        matchers = {topic: self.topics[topic] for topic in topics if topic in self.topics}
        named = {topic for topic, matcher in matchers.items() if matcher.search(text)}
        if len(named) < len(matchers):
            # The sounds once for all topics: ≈ 0.4 ms each time they are computed.
            sounds = Sounds.of(text)
            named |= {t for t, m in matchers.items() if t not in named and m.sounds_like(sounds)}
        return named

    def about_domain(self, text: str, entity_types: Iterable[str] = ()) -> bool:
        """True when ``text`` names the programme, the vendor, support or a product.

        Stronger evidence than a topic's own words ("登录", "升级"), which everyday
        messages share.
        """
        return self._found(text, [self.domain], entity_types)

    def elsewhere(self, text: str, entity_types: Iterable[str] = ()) -> bool:
        """True when ``text`` names another company's product and nothing of ours.

        Ours: a catalogue product, PPA / PAO / IBM, a domain entity or an OS.
        """
        if OURS_ENTITIES.intersection(entity_types) or not self.other_vendors.search(text):
            return False
        return not self.ours.search(text)

    @staticmethod
    def _found(text: str, matchers: list[_Matcher], entity_types: Iterable[str]) -> bool:
        if DOMAIN_ENTITIES.intersection(entity_types):
            return True
        if any(m.search(text) for m in matchers):
            return True
        # Only now: the sounds cost ≈ 0.4 ms, the written words a regex each.
        sounds = Sounds.of(text)
        return any(m.sounds_like(sounds) for m in matchers)


def load_evidence(
    path: Path = KEYWORDS_PATH, vocabulary: Vocabulary | None = None
) -> DomainEvidence:
    """Build the matchers from the keyword file plus the NLU vocabulary."""
    vocab = vocabulary or default_vocabulary()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    domain_words = [*data.get("domain", []), *vocab.product_terms(), *vocab.keywords]
    topics = {name: _Matcher(words) for name, words in (data.get("topics") or {}).items()}
    return DomainEvidence(
        domain=_Matcher(domain_words),
        topics=topics,
        other_vendors=_Matcher(data.get("other_vendors") or []),
        ours=_Matcher([*data.get("ours", []), *vocab.product_terms()]),
    )


@functools.lru_cache(maxsize=1)
def default_evidence() -> DomainEvidence:
    """The evidence from the project's own files, built once per process."""
    return load_evidence()
