"""pypinyin, imported once with the settings that keep the server small.

pypinyin's 47 000-phrase dictionary is ≈ 45 MB of the Rasa server's memory. Messages
and word lists are both read character by character, the same way; with the phrases
every held-out and dev score was the same. The settings must be made before the
first import of pypinyin, so every module takes it from here.
"""

import functools
import os

os.environ.setdefault("PYPINYIN_NO_PHRASES", "true")
os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "true")

# Imported after the settings above.
from pypinyin import Style, lazy_pinyin

__all__ = ["Style", "lazy_pinyin", "spelled_syllables", "syllable_of", "syllables"]

LONGEST_SYLLABLE = 6  # "zhuang", "shuang"


@functools.cache
def syllable_of(char: str) -> str:
    """The toneless syllable of one Chinese character (itself when it has none).

    Cached: at most the ≈ 21 000 common characters, and pypinyin's own call costs
    more than the look-up.
    """
    return lazy_pinyin(char, style=Style.NORMAL)[0]


@functools.lru_cache(maxsize=1)
def syllables() -> frozenset[str]:
    """Every toneless syllable of the common Chinese characters ("zhong", "a", "er").

    Interjections without a vowel ("m", "hng") are left out: they would let
    consonant clusters of English words pass for pinyin.
    """
    han = "".join(chr(code) for code in range(0x4E00, 0x9FA6))
    spoken = lazy_pinyin(han, style=Style.NORMAL, errors="ignore")
    return frozenset(s for s in spoken if set(s) & set("aeiouv"))


def spelled_syllables(word: str) -> list[str] | None:
    """A Latin word read as pinyin typed without tones, in as few syllables as possible.

    "nihao" → ["ni", "hao"]; None when the word is not pinyin ("hello").
    """
    known = syllables()
    # fewest[i]: the fewest syllables that spell word[:i], None when none do.
    fewest: list[list[str] | None] = [[], *([None] * len(word))]
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - LONGEST_SYLLABLE), end):
            head, current = fewest[start], fewest[end]
            if (
                head is not None
                and word[start:end] in known
                and (current is None or len(head) + 1 < len(current))
            ):
                fewest[end] = [*head, word[start:end]]
    return fewest[len(word)]
