"""Two requests in one message: where to split it, and whether the parses justify it.

Pure functions, no Rasa: ``split`` proposes parts at clear boundaries (sentence ends,
connectives such as 另外 / 还有 / 顺便, from ``bot/data/multi_request.yml``);
``accept`` decides from the parts' parses whether they really are different requests.
``bot/rasa/multi_request.py`` applies them around Rasa's message handling.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

RULES_PATH = Path(__file__).resolve().parents[1] / "data" / "multi_request.yml"


@dataclass(frozen=True)
class SplitRules:
    """The boundaries and the acceptance rule, from ``multi_request.yml``."""

    sentence_ends: tuple[str, ...]
    connectives: tuple[str, ...]
    commas: tuple[str, ...]
    intents: frozenset[str]
    in_form_intents: frozenset[str]
    threshold: float
    max_parts: int
    min_part_chars: int

    @classmethod
    def load(cls, path: Path = RULES_PATH) -> SplitRules:
        """Read the rules from ``path``."""
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls(
            sentence_ends=tuple(data["sentence_ends"]),
            # Longest first, so "顺便问一下" wins over "顺便".
            connectives=tuple(sorted(data["connectives"], key=len, reverse=True)),
            commas=tuple(data["commas"]),
            intents=frozenset(data["intents"]),
            in_form_intents=frozenset(data["in_form_intents"]),
            threshold=float(data["threshold"]),
            max_parts=int(data["max_parts"]),
            min_part_chars=int(data["min_part_chars"]),
        )

    @functools.cached_property
    def boundary(self) -> re.Pattern[str]:
        """What separates two requests (``re.split`` drops it)."""
        ends = "".join(re.escape(c) for c in self.sentence_ends)
        commas = "".join(re.escape(c) for c in self.commas)
        words = "|".join(re.escape(w) for w in self.connectives)
        # A sentence end (kept with its sentence), or a connective at the start of
        # the text or after a sentence end / comma (dropped).
        return re.compile(
            rf"(?<=[{ends}])[{ends}\s]*(?:(?:{words})[{commas}]*)?"
            rf"|(?:^|[{commas}]+)(?:{words})[{commas}]*"
        )


@functools.lru_cache(maxsize=1)
def default_rules() -> SplitRules:
    """The project's rules."""
    return SplitRules.load()


def split(text: str, rules: SplitRules | None = None) -> list[str]:
    """The parts of ``text`` at clear boundaries; ``[text]`` when there is none.

    Connectives are dropped from the parts, sentence ends kept; parts shorter than
    ``min_part_chars`` join their neighbour; more than ``max_parts`` parts give ``[text]``.
    """
    rules = rules or default_rules()
    stripped = text.strip()
    parts = [p.strip() for p in rules.boundary.split(stripped)]
    merged: list[str] = []
    for part in parts:
        if not part:
            continue
        if merged and (_short(merged[-1], rules) or _short(part, rules)):
            merged[-1] = merged[-1] + part
        else:
            merged.append(part)
    if len(merged) < 2 or len(merged) > rules.max_parts:
        return [stripped]
    return merged


def _short(part: str, rules: SplitRules) -> bool:
    """Too short to be a request ("好。"), not counting punctuation and spaces."""
    content = [c for c in part if c not in rules.sentence_ends and not c.isspace()]
    return len(content) < rules.min_part_chars


def request_of(parse: Mapping[str, Any]) -> tuple[str, str, float]:
    """``(intent, request, confidence)``: the request is ``faq/<topic>`` for FAQs."""
    intent: Mapping[str, Any] = parse.get("intent") or {}
    name = str(intent.get("name"))
    request = str(intent.get("full_retrieval_intent_name") or name)
    return name, request, float(intent.get("confidence") or 0.0)


def accept(
    parses: Sequence[Mapping[str, Any]], in_form: bool, rules: SplitRules | None = None
) -> bool:
    """Whether the parts' parses are different requests worth separate turns.

    Outside a form every part must be a request of ``intents`` above ``threshold``,
    each different from the one before. Inside a form the first part is the form's
    answer, and every later part must be a clear interruption (``in_form_intents``).
    """
    rules = rules or default_rules()
    if len(parses) < 2:
        return False
    read = [request_of(p) for p in parses]
    allowed = rules.in_form_intents if in_form else rules.intents
    checked = read[1:] if in_form else read
    if any(name not in allowed or conf < rules.threshold for name, _, conf in checked):
        return False
    requests = [request for _, request, _ in read]
    return all(a != b for a, b in zip(requests, requests[1:], strict=False))
