"""Suggest a severity (1–3) from a fault description, using the guide's definitions."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.catalogue import Catalogue, _fold, default_catalogue
from bot.services.wording import alternation, wording
from bot.textnorm import normalise

# Signal groups that stand for a level without being named after it.
_SIGNAL_LEVEL = {"limited": 3, "periodic": 2, "still_running": 3}


@dataclass(frozen=True)
class SeveritySuggestion:
    """A suggested level, the words that led to it, and the guide's definition."""

    level: int
    matched: str | None
    definition: str
    example: str


def suggest_severity(description: str, catalogue: Catalogue | None = None) -> SeveritySuggestion:
    """The guide's severity that best fits ``description``.

    Non-production problems are severity 3 whatever the symptom (the guide's
    definition of 3 includes 非生产系统故障), and so is one user alone (its example);
    a fault that keeps coming back is 2 (the
    guide's 周期性中断) even when it crashes each time; otherwise the first level
    whose signal words appear wins; with no signal the default is 3, which the customer
    can raise when confirming.
    """
    cat = catalogue or default_catalogue()
    text = _folded(description)
    signals = cat.severity_signals
    level, matched = 3, None
    hit = _first(text, signals.get("non_production", ()))
    if hit:
        level, matched = 3, hit
    else:
        for candidate in ("limited", "periodic", "1", "still_running", "2"):
            hit = _first(text, signals.get(candidate, ()))
            if hit:
                level, matched = _SIGNAL_LEVEL.get(candidate) or int(candidate), hit
                break
    sev = cat.severity(level)
    return SeveritySuggestion(level, matched, sev.definition, sev.example)


def is_non_production(description: str, catalogue: Catalogue | None = None) -> bool:
    """True when ``description`` says the fault is not in production (the guide's 3)."""
    signals = (catalogue or default_catalogue()).severity_signals
    return _first(_folded(description), signals.get("non_production", ())) is not None


def _folded(description: str) -> str:
    # Read as the NLU reads it: Cantonese "連唔到" is 连不到.
    return _fold(normalise(description or "").text)


# The intake's fields that describe the fault and its impact, read for the suggestion.
DESCRIPTION_SLOTS = ("symptoms", "frequency", "error_log", "other_info", "configuration")


def description_of(values: Mapping[str, Any]) -> str:
    """The fault as described so far: the intake's describing fields, joined."""
    return " ".join(str(values.get(s) or "") for s in DESCRIPTION_SLOTS)


def _first(text: str, words) -> str | None:
    return next((w for w in words if w.lower() in text), None)


def parse_severity(text: str, catalogue: Catalogue | None = None) -> int | None:
    """A severity level the customer typed ("1", "一级", "严重程度二", "sev3"), else None."""
    folded = _fold(text or "").replace(" ", "")
    answers = (catalogue or default_catalogue()).severity_answers
    return next((level for level, words in answers.items() if folded in words), None)


@functools.lru_cache(maxsize=1)
def _severity_in_text() -> tuple[re.Pattern[str], dict[str, int]]:
    """The pattern of a level named inside a sentence, and each level word's level."""
    w = wording()
    levels = {word: level for level in (1, 2, 3) for word in w[f"severity_level_{level}"]}
    digit = f"({alternation(levels)})"
    for level, key in ((1, "severity_highest"), (3, "severity_lowest")):
        levels.update({word: level for word in w[key]})
    extreme = f"({alternation([*w['severity_highest'], *w['severity_lowest']])})"
    pattern = re.compile(
        rf"(?:{alternation(w['severity_prefixes'])})\s*{digit}"
        rf"|{digit}\s*(?:{alternation(w['severity_suffixes'])})"
        rf"|^\s*{digit}\s*(?:{alternation(w['severity_trailers'])})?\s*$"
        # "应该算2吧", "定3": a level chosen with a verb, or left at the end of a sentence
        rf"|(?:{alternation(w['severity_choice_verbs'])})\s*{digit}(?![0-9.])"
        rf"|(?<![0-9a-z.\-])([123])\s*(?:{alternation(w['severity_trailers'])})?\s*$"
        rf"|{extreme}"
    )
    return pattern, levels


def find_severity(text: str | None) -> int | None:
    """A severity level anywhere in ``text`` ("按二级来", "改成严重程度 3吧"), else None."""
    exact = parse_severity(text or "")
    if exact is not None:
        return exact
    pattern, levels = _severity_in_text()
    m = pattern.search(_fold(text or ""))
    return levels[next(g for g in m.groups() if g)] if m else None
