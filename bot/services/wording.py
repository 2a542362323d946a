"""How customers phrase a fault report: the word lists of ``bot/data/intake.yml``.

Words are data (a new way of saying "yes" is a one-line change with a test behind
it), so the intake code itself holds no Chinese.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.textnorm import has_digit, normalise

WORDS_PATH = Path(__file__).resolve().parent.parent / "data" / "intake.yml"
_PUNCT = "。.!！~～?？ ，,"
CLAUSE_SPLIT = re.compile(r"[，,。；;！!？?\n]+")


def clean(text: str | None) -> str:
    """``text`` as the word lists are written, without surrounding spaces and punctuation.

    Simplified Mandarin, half-width, lower-case: "繼續" is "继续", "唔清楚" is "不清楚".
    """
    return normalise(text or "").text.strip().strip(_PUNCT).lower()


def clauses(text: str | None) -> list[str]:
    """The clauses of ``text`` (split at Chinese and Latin punctuation)."""
    return [c.strip() for c in CLAUSE_SPLIT.split(text or "") if c.strip()]


def is_unknown_answer(text: str | None) -> bool:
    """True for "没有 / 不知道 / 忘了" with no number or address in it.

    The caller cannot give the identity value asked for, and it must not be checked as one.
    """
    cleaned = clean(text)
    if not cleaned or "@" in cleaned or has_digit(cleaned):
        return False
    return wording().has_any("unknown_answers", cleaned)


def alternation(words: Iterable[str]) -> str:
    """A regex alternation of ``words``, longest first, each escaped."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@functools.lru_cache(maxsize=64)
def words_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """``words`` as one pattern, longest first; a Latin word only whole ("rx", not "xrx").

    Matches nothing when there are no words. Cached: the word lists are fixed tuples.
    """
    parts = [
        rf"(?<![a-z]){re.escape(w)}(?![a-z])" if w.isascii() else re.escape(w)
        for w in sorted(set(words), key=len, reverse=True)
    ]
    return re.compile("|".join(parts) or r"(?!)")


@dataclass(frozen=True)
class Wording:
    """The word lists, as read from the data file."""

    lists: Mapping[str, tuple[str, ...]]
    field_words: Mapping[str, tuple[str, ...]]
    not_provided: str

    def __getitem__(self, name: str) -> tuple[str, ...]:
        """One word list by name (``accept_words``, ``cancel_words``…)."""
        return self.lists[name]

    def field_label(self, field: str) -> str:
        """The full Chinese name of an intake field (its first field word), else ``field``."""
        words = self.field_words.get(field)
        return words[0] if words else field

    def has_any(self, name: str, text: str) -> bool:
        """True when ``text`` contains a word of list ``name``."""
        return any(w in text for w in self.lists[name])

    def has_prefix(self, name: str, text: str) -> bool:
        """True when ``text`` starts with a word of list ``name`` (case aside)."""
        return text.lower().startswith(self.lists[name])

    def without_prefix(self, text: str, name: str) -> str:
        """``text`` without a leading word of list ``name`` and its joiner ("公司名称：")."""
        prefix = rf"^(?:{alternation(self[name])})(?:{alternation(self['prefix_joiners'])})?\s*"
        return re.sub(prefix, "", text, flags=re.IGNORECASE)  # "My name is …"


def _load(raw: Mapping[str, Any]) -> Wording:
    lists = {k: tuple(str(w).lower() for w in v) for k, v in raw.items() if isinstance(v, list)}
    fields = {k: tuple(v) for k, v in raw["field_words"].items()}
    return Wording(lists=lists, field_words=fields, not_provided=str(raw["not_provided"]))


@functools.lru_cache(maxsize=1)
def wording() -> Wording:
    """The project's word lists, loaded once per process."""
    with open(WORDS_PATH, encoding="utf-8") as fh:
        return _load(yaml.safe_load(fh))
