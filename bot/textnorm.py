"""Input text normalisation shared by the NLU pipeline and the catalogue.

Customers type full-width letters and digits, traditional characters and stray
spaces inside product names ("Ｗｅｂ Ｓｐｈｅｒｅ"). Normalising them once, before any
model or matcher sees the text, keeps the training data small and the matchers simple.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import opencc
import yaml

_FULLWIDTH_OFFSET = 0xFEE0
CANTONESE_PATH = Path(__file__).resolve().parent / "data" / "cantonese.yml"


@functools.lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


_HAN = re.compile(r"[\u4e00-\u9fff]")


def has_han(text: str) -> bool:
    """True when ``text`` holds a Chinese character."""
    return _HAN.search(text) is not None


def has_digit(text: str) -> bool:
    """True when ``text`` holds a digit (a number, a phone, a case id may be in it)."""
    return any(ch.isdigit() for ch in text)


def to_halfwidth(text: str) -> str:
    """Map full-width ASCII variants (and the ideographic space) to ASCII, 1:1 in length."""
    chars = []
    for ch in text:
        code = ord(ch)
        if code == 0x3000:
            chars.append(" ")
        elif 0xFF01 <= code <= 0xFF5E:
            chars.append(chr(code - _FULLWIDTH_OFFSET))
        else:
            chars.append(ch)
    return "".join(chars)


def to_simplified(text: str) -> str:
    """Convert traditional Chinese characters to simplified ones.

    OpenCC's character-level t2s conversion can change length for a few phrases;
    callers that need offsets fall back to the original when it does.
    """
    converted = _t2s().convert(text)
    return converted if len(converted) == len(text) else _per_char_t2s(text)


def _per_char_t2s(text: str) -> str:
    converter = _t2s()
    out = []
    for ch in text:
        c = converter.convert(ch)
        out.append(c if len(c) == 1 else ch)
    return "".join(out)


class WordMapper:
    """Replaces words by words of the same length (longest first, left to right)."""

    def __init__(self, words: Mapping[str, str]) -> None:
        """Check every pair keeps the length; compile one pattern for all words."""
        unequal = [w for w, r in words.items() if len(w) != len(r)]
        if unequal:
            raise ValueError(f"replacements must keep the length: {unequal}")
        self._words = dict(words)
        ordered = sorted(self._words, key=len, reverse=True)
        self._regex = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def apply(self, text: str) -> str:
        """``text`` with every listed word replaced."""
        if self._regex is None:
            return text
        return self._regex.sub(lambda m: self._words[m.group()], text)


@functools.lru_cache(maxsize=1)
def cantonese_mapper(path: Path = CANTONESE_PATH) -> WordMapper:
    """Written Cantonese → Mandarin, from ``bot/data/cantonese.yml``."""
    words = yaml.safe_load(path.read_text(encoding="utf-8"))["words"]
    return WordMapper({str(k): str(v) for k, v in words.items()})


def alias_pattern(alias: str) -> str:
    """A regex for ``alias`` that tolerates any spacing between its characters.

    Latin / digit edges get look-around guards so that "was" does not match inside
    "WASX7017E" (but does in "WAS8.5") and "db2" does not match inside "db21".
    """
    compact = re.sub(r"\s+", "", alias.lower())
    body = r"\s*".join(re.escape(ch) for ch in compact)
    if compact[:1].isascii() and compact[:1].isalnum():
        body = r"(?<![a-z0-9])" + body
    if compact[-1:].isascii() and compact[-1:].isdigit():
        body = body + r"(?![a-z0-9])"
    elif compact[-1:].isascii() and compact[-1:].isalpha():
        # "WAS8.5": a version may follow a name directly, a letter may not.
        body = body + r"(?![a-z])"
    return body


class SpacingFixer:
    """Removes spaces inside known multi-character terms ("Web Sphere" → "WebSphere")."""

    def __init__(self, terms: Iterable[str]) -> None:
        """Compile one pattern for every term longer than one character."""
        spaced_terms = sorted(
            {t for t in terms if len(re.sub(r"\s+", "", t)) > 1}, key=len, reverse=True
        )
        self._regex = (
            re.compile("|".join(alias_pattern(t) for t in spaced_terms), re.IGNORECASE)
            if spaced_terms
            else None
        )

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Spans of ``text`` that contain a known term written with inner spaces."""
        if self._regex is None:
            return []
        return [m.span() for m in self._regex.finditer(text) if re.search(r"\s", m.group())]


class Normalised:
    """A normalised text with a map from its offsets back to the original's."""

    __slots__ = ("text", "_orig_index")

    def __init__(self, text: str, orig_index: Sequence[int]) -> None:
        """Keep ``text`` and, for each of its characters, the original's offset."""
        self.text = text
        self._orig_index = list(orig_index)

    def to_normalised(self, orig_offset: int) -> int:
        """The normalised offset for an original offset (entity start or end)."""
        for i, o in enumerate(self._orig_index):
            if o >= orig_offset:
                return i
        return len(self.text)


def normalise(text: str, fixer: SpacingFixer | None = None) -> Normalised:
    """Half-width, Mandarin, simplified, spaces inside known terms removed; offsets tracked.

    Case is kept: the featurizers lowercase on their own and from_text slots keep
    what the customer wrote.
    """
    # Cantonese before t2s: t2s turns 係 ("is") into 系 ("system").
    text = to_simplified(cantonese_mapper().apply(to_halfwidth(text)))
    drop = {
        i
        for i, ch in enumerate(text)
        if ch not in "\n\t" and (ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0)
    }
    if fixer is not None:
        for start, end in fixer.spans(text):
            drop.update(i for i in range(start, end) if text[i].isspace())
    kept = [i for i in range(len(text)) if i not in drop]
    return Normalised("".join(text[i] for i in kept), kept + [len(text)])


_CONTENT = re.compile(
    r"[0-9A-Za-z\u3400-\u9fff\uf900-\ufaff\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]"
)


def has_content(text: str) -> bool:
    """True when ``text`` has a letter, digit or Chinese character (not just emoji / marks)."""
    return bool(_CONTENT.search(text or ""))


def strip_control(text: str) -> str:
    """Drop control characters (keeping newlines and tabs of pasted logs)."""
    return "".join(
        ch for ch in text if ch in "\n\t" or not (ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0)
    )
