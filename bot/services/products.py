"""Product names as customers type them: aliases first, then near misses.

"infomix", "webshpere", "cogons" are one or two letters away from a catalogue name
or alias; :func:`match_product` finds them with rapidfuzz, and says whether the
match was exact so that the caller confirms a near miss with the customer.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import yaml
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from bot.catalogue import Catalogue, Product, default_catalogue
from bot.services.wording import WORDS_PATH
from bot.textnorm import to_halfwidth, to_simplified

_LATIN_WORD = re.compile(r"[a-z][a-z0-9&+]*|[0-9]+[a-z][a-z0-9]*")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_LATIN_TERM = re.compile(r"[a-z0-9 &+]+")
_CJK_TERM = re.compile(r"[\u4e00-\u9fff]+")
MAX_WORDS = 3  # "websphere applicaton server": a name is at most three words
BARE_SHARE = 0.8  # a message this much product name is only the product


@dataclass(frozen=True)
class ProductMatch:
    """A product found in the customer's words: ``said`` is what they typed."""

    product: Product
    said: str
    exact: bool
    score: float


@dataclass(frozen=True)
class MatchSettings:
    """How near a word must be to a catalogue term (``product_match`` in intake.yml)."""

    min_length: int
    ratio: float
    edit_min_length: int


@functools.lru_cache(maxsize=1)
def match_settings() -> MatchSettings:
    """The thresholds from the data file, loaded once."""
    with open(WORDS_PATH, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)["product_match"]
    return MatchSettings(int(raw["min_length"]), float(raw["ratio"]), int(raw["edit_min_length"]))


def _fold(text: str) -> str:
    return to_simplified(to_halfwidth(text)).lower()


_TERMS: dict[int, tuple[tuple[str, Product], ...]] = {}


def _terms(catalogue: Catalogue) -> tuple[tuple[str, Product], ...]:
    """Every name and alias written in one script only, spaces removed (kept per catalogue)."""
    cached = _TERMS.get(id(catalogue))
    if cached is not None:
        return cached
    out = []
    for p in catalogue.products:
        for term in (p.name, *p.aliases):
            folded = _fold(term)
            if _LATIN_TERM.fullmatch(folded) or _CJK_TERM.fullmatch(folded):
                out.append((folded.replace(" ", ""), p))
    _TERMS[id(catalogue)] = tuple(out)
    return _TERMS[id(catalogue)]


def _candidates(text: str) -> list[str]:
    """Words and runs of up to three Latin words joined ("db 2" -> "db2"), and Chinese runs."""
    folded = _fold(text)
    words = _LATIN_WORD.findall(folded)
    out = []
    for size in range(1, MAX_WORDS + 1):
        out += ["".join(words[i : i + size]) for i in range(len(words) - size + 1)]
    for run in _CJK_RUN.findall(folded):
        out.append(run)
        out += [run[i : i + n] for n in (3, 4, 5) for i in range(len(run) - n + 1)]
    return out


def _near(word: str, term: str, settings: MatchSettings) -> float:
    """The similarity of ``word`` to ``term`` (0 when it is not a near miss)."""
    if len(word) < settings.min_length or abs(len(word) - len(term)) > 2:
        return 0.0
    score = fuzz.ratio(word, term)
    if score >= settings.ratio:
        return score
    # A Chinese character carries a syllable: one wrong in four is still a near miss.
    long_enough = settings.min_length if _CJK_TERM.fullmatch(term) else settings.edit_min_length
    if len(term) >= long_enough and OSA.distance(word, term) <= 1:
        return score
    return 0.0


def match_product(text: str | None, catalogue: Catalogue | None = None) -> ProductMatch | None:
    """The product ``text`` names: an exact alias, else the nearest near miss, else None."""
    cat = catalogue or default_catalogue()
    if not text or not text.strip():
        return None
    exact = cat.product(text) or next(iter(cat.find_products(text)), None)
    if exact is not None:
        return ProductMatch(exact, text, True, 100.0)
    settings = match_settings()
    best: ProductMatch | None = None
    for word in _candidates(text):
        for term, product in _terms(cat):
            score = _near(word, term, settings)
            if score and (best is None or score > best.score):
                best = ProductMatch(product, word, False, score)
    return best


def resolve_products(
    names: list[str], text: str, catalogue: Catalogue | None = None
) -> tuple[list[str], list[str]]:
    """Catalogue names for ``names`` with near misses replaced, and which were guessed.

    With no names at all, a near miss anywhere in ``text`` ("infomix的热线") is used.
    Names matching nothing are kept as given, so the caller can say it does not know them.
    """
    cat = catalogue or default_catalogue()
    out: list[str] = []
    guessed: list[str] = []
    for said in names or [text]:
        match = match_product(said, cat)
        if match is None:
            if names:
                out.append(said)
            continue
        if match.product.name not in out:
            out.append(match.product.name)
        if not match.exact:
            guessed.append(match.product.name)
    return out, guessed


def bare_product(text: str | None, catalogue: Catalogue | None = None) -> ProductMatch | None:
    """The product when ``text`` is nothing but a product name (typos included), else None."""
    cat = catalogue or default_catalogue()
    key = re.sub(r"[\s。.!！?？]+", "", _fold(text or ""))
    match = match_product(text, cat)
    if match is None:
        return None
    if match.exact:
        return match if cat.product(key) else None
    return match if len(match.said) >= BARE_SHARE * len(key) else None


_NAME_LIKE = re.compile(r"(?<![A-Za-z0-9])([A-Z][A-Za-z0-9+]{1,15})(?![A-Za-z0-9])")


def unknown_product_name(text: str | None, catalogue: Catalogue | None = None) -> str | None:
    """A capitalised Latin name that is not a catalogue product ("SPSS 的热线是多少").

    Only a name written as one (capital first: "SPSS", "Tableau"), so pinyin and chat
    shorthand ("rexian", "kf") are not taken for products; words the domain itself
    uses (IBM, PPA, Hotline …) are no product either.
    """
    cat = catalogue or default_catalogue()
    for name in _NAME_LIKE.findall(text or ""):
        known = cat.product(name) is not None or match_product(name, cat) is not None
        if name.lower() not in _not_product_names() and not known:
            return name
    return None


@functools.lru_cache(maxsize=1)
def _not_product_names() -> frozenset[str]:
    with open(WORDS_PATH, encoding="utf-8") as fh:
        return frozenset(str(w).lower() for w in yaml.safe_load(fh)["not_product_names"])


def as_written(text: str | None, name: str) -> str:
    """``name`` as the customer spelled it in ``text`` ("Guardium", not "guardium")."""
    found = re.search(re.escape(name), text or "", flags=re.IGNORECASE)
    return found.group() if found else name
