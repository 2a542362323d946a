"""Suggest a severity (1–3) from a fault description, using the guide's definitions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.catalogue import Catalogue, _fold, default_catalogue


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
    definition of 3 includes 非生产系统故障); otherwise the first level whose
    signal words appear wins; with no signal the default is 3, which the customer
    can raise when confirming.
    """
    cat = catalogue or default_catalogue()
    text = _fold(description or "")
    signals = cat.severity_signals
    level, matched = 3, None
    hit = _first(text, signals.get("non_production", ()))
    if hit:
        level, matched = 3, hit
    else:
        for candidate in ("1", "2"):
            hit = _first(text, signals.get(candidate, ()))
            if hit:
                level, matched = int(candidate), hit
                break
    sev = cat.severity(level)
    return SeveritySuggestion(level, matched, sev.definition, sev.example)


def _first(text: str, words) -> str | None:
    return next((w for w in words if w.lower() in text), None)


def parse_severity(text: str) -> int | None:
    """A severity level the customer typed ("1", "一级", "严重程度二", "sev3"), else None."""
    folded = _fold(text or "").replace(" ", "")
    for level, words in (("1", "1一壹"), ("2", "2二贰"), ("3", "3三叁")):
        if folded in set(words) or any(
            folded
            in (
                f"{w}级",
                f"严重程度{w}",
                f"sev{w}",
                f"p{w}",
                f"s{w}",
                f"{w}级吧",
                f"选{w}",
                f"选{w}级",
            )
            for w in words
        ):
            return int(level)
    return None


_DIGITS = "123一二三壹贰叁"
_LEVELS = dict(zip(_DIGITS, (1, 2, 3, 1, 2, 3, 1, 2, 3), strict=True))
_SEVERITY_IN_TEXT = re.compile(
    rf"(?:严重程度|严重级别|级别|sev|p|s)\s*([{_DIGITS}])|([{_DIGITS}])\s*级|^\s*([{_DIGITS}])\s*$"
)


def find_severity(text: str | None) -> int | None:
    """A severity level anywhere in ``text`` ("按二级来", "改成严重程度 3吧"), else None."""
    exact = parse_severity(text or "")
    if exact is not None:
        return exact
    m = _SEVERITY_IN_TEXT.search(_fold(text or ""))
    return _LEVELS[next(g for g in m.groups() if g)] if m else None
