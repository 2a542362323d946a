"""The NLU vocabulary: catalogue product names plus ``bot/data/nlu_terms.yml``.

One place decides which words jieba keeps whole, which Latin terms are protected from
segmentation, and which spellings map to which canonical value (synonyms).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.catalogue import NORTH, SOUTH, Catalogue, default_catalogue
from bot.nlu.segment import Segmenter

TERMS_PATH = Path(__file__).resolve().parent.parent / "data" / "nlu_terms.yml"


def compact(term: str) -> str:
    """Lower-case, without spaces: the form matchers and synonym keys use."""
    return re.sub(r"\s+", "", term.lower())


def _is_latin(term: str) -> bool:
    return bool(re.fullmatch(r"[a-z0-9 ./&+_-]+", term.lower())) and len(compact(term)) > 1


@dataclass(frozen=True)
class Vocabulary:
    """Everything the NLU pipeline knows by name."""

    catalogue: Catalogue
    keywords: tuple[str, ...]
    severity_words: Mapping[str, tuple[str, ...]]
    os_names: tuple[str, ...]
    keyword_values: Mapping[str, tuple[str, ...]]

    def product_terms(self) -> list[str]:
        """Every product name and alias, lower-case."""
        return [t.lower() for t in self.catalogue.all_terms()]

    def region_terms(self) -> dict[str, list[str]]:
        """Region words and places for ``north`` and ``south``."""
        cat = self.catalogue
        return {
            NORTH: [*cat.north_words, *cat.north_places],
            SOUTH: [*cat.south_words, *cat.south_places],
        }

    def all_words(self) -> list[str]:
        """Every domain word, for the segmenter's dictionary."""
        words = [*self.product_terms(), *self.keywords, *self.os_names]
        for group in (self.severity_words, self.keyword_values, self.region_terms()):
            for values in group.values():
                words.extend(values)
        return [w.lower() for w in words]

    def segmenter(self) -> Segmenter:
        """A segmenter that keeps every domain word and Latin term whole."""
        words = self.all_words()
        return Segmenter(words, [w for w in words if _is_latin(w)])

    def synonyms(self) -> dict[str, list[str]]:
        """Canonical value → spellings, for Rasa's EntitySynonymMapper."""
        out: dict[str, list[str]] = {}
        for product in self.catalogue.products:
            out[product.name] = _spellings([product.name, *product.aliases], product.name)
        for region, terms in self.region_terms().items():
            out[region] = _spellings(terms, region)
        for level, words in self.severity_words.items():
            out[level] = _spellings(words, level)
        return out


def _spellings(terms: Sequence[str], canonical: str) -> list[str]:
    seen: list[str] = []
    for t in terms:
        for form in (t.lower(), compact(t)):
            if form != canonical and form not in seen:
                seen.append(form)
    return seen


def load_vocabulary(catalogue: Catalogue | None = None, path: Path = TERMS_PATH) -> Vocabulary:
    """Read ``nlu_terms.yml`` and combine it with the catalogue."""
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    return Vocabulary(
        catalogue=catalogue or default_catalogue(),
        keywords=tuple(raw["keywords"]),
        severity_words={str(k): tuple(v) for k, v in raw["severity_words"].items()},
        os_names=tuple(raw["os_names"]),
        keyword_values={k: tuple(v) for k, v in raw["keyword_values"].items()},
    )


@functools.lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """The project's vocabulary, loaded once per process."""
    return load_vocabulary()
