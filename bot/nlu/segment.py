"""Word segmentation for the NLU: jieba with the domain dictionary, values kept whole.

jieba alone cuts "11.5.8" into three tokens and glues "was8.5" together, which breaks
entity annotations. The segmenter first protects structured values (e-mails, phones,
case ids, versions, error codes, identifiers) and the catalogue's Latin product names,
then lets jieba (with a user dictionary of product names and support vocabulary) cut
the Chinese text between them.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import jieba

from bot.nlu.patterns import IDENTIFIER, STRUCTURED
from bot.textnorm import alias_pattern

jieba.setLogLevel(logging.WARNING)

USER_WORD_FREQ = 50000  # high enough that jieba never splits a domain word


class Segmenter:
    """Cuts normalised text into ``(word, start)`` pairs; whitespace is never a token."""

    def __init__(self, dictionary_words: Iterable[str], latin_terms: Sequence[str]) -> None:
        """Load jieba with the domain words and protect Latin terms and identifiers."""
        self.dictionary_words = sorted({w.lower() for w in dictionary_words if w.strip()})
        self.latin_terms = sorted({t.lower() for t in latin_terms}, key=len, reverse=True)
        structured = list(STRUCTURED.values())
        terms = [alias_pattern(t) for t in self.latin_terms]
        self._protect = re.compile("|".join(f"(?:{p})" for p in [*structured, *terms, IDENTIFIER]))
        self._jieba = jieba.Tokenizer()
        for word in self.dictionary_words:
            # add_word rather than a file: jieba's file loader splits on spaces.
            self._jieba.add_word(word, USER_WORD_FREQ)

    def userdict_text(self) -> str:
        """The dictionary in jieba's user-dictionary format (one word per line)."""
        return "".join(f"{w} {USER_WORD_FREQ}\n" for w in self.dictionary_words if " " not in w)

    def segment(self, text: str) -> list[tuple[str, int]]:
        """``(word, start)`` for each token of ``text`` (expected already normalised)."""
        out: list[tuple[str, int]] = []
        pos = 0
        for m in self._protect.finditer(text):
            self._cut(text[pos : m.start()], pos, out)
            out.append((m.group(), m.start()))
            pos = m.end()
        self._cut(text[pos:], pos, out)
        return out

    def _cut(self, chunk: str, offset: int, out: list[tuple[str, int]]) -> None:
        if not chunk.strip():
            return
        for word, start, _end in self._jieba.tokenize(chunk):
            if not word.isspace():
                out.append((word, offset + start))

    def save(self, directory: Path) -> None:
        """Write the dictionary and protected terms so a saved pipeline is self-contained."""
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "dictionary.txt").write_text("\n".join(self.dictionary_words) + "\n", "utf-8")
        (directory / "latin_terms.txt").write_text("\n".join(self.latin_terms) + "\n", "utf-8")

    @classmethod
    def load(cls, directory: Path) -> Segmenter:
        """Read a segmenter written by :meth:`save` (shared when the files are equal)."""
        words = (directory / "dictionary.txt").read_text("utf-8").splitlines()
        terms = (directory / "latin_terms.txt").read_text("utf-8").splitlines()
        return _shared(tuple(w for w in words if w), tuple(t for t in terms if t))


@functools.lru_cache(maxsize=4)
def _shared(words: tuple[str, ...], terms: tuple[str, ...]) -> Segmenter:
    # Rasa loads the spaCy pipeline once per graph node that uses it (twice for
    # SpacyNLP); each jieba dictionary costs ≈ 40 MB, so equal ones are shared.
    # A Segmenter is never changed after construction.
    return Segmenter(list(words), list(terms))
