"""The support catalogue: products, hotlines, hours, severities, regions, web sites.

Loaded from ``bot/data/catalogue.yml`` (a transcription of the vendor's guide), never
hard-coded, so that a changed number is a one-line data change with a test behind it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.textnorm import alias_pattern, to_halfwidth, to_simplified

DEFAULT_PATH = Path(__file__).with_name("data") / "catalogue.yml"

NORTH = "north"
SOUTH = "south"


@dataclass(frozen=True)
class Hotline:
    """A support line; ``numbers`` maps ``all`` or ``north`` / ``south`` to a number."""

    key: str
    label: str
    numbers: Mapping[str, str]
    menu: str = ""
    note: str = ""

    @property
    def regional(self) -> bool:
        """True when the line has separate north and south numbers."""
        return NORTH in self.numbers


@dataclass(frozen=True)
class Product:
    """A product as the guide names it, with the spellings customers use."""

    name: str
    family_id: str
    family_name: str
    hotline_key: str
    aliases: tuple[str, ...]
    umbrella: bool = False


@dataclass(frozen=True)
class Severity:
    """One of the guide's PMR severity levels."""

    level: int
    name: str
    definition: str
    example: str


@dataclass(frozen=True)
class Family:
    """A product family (brand) as the guide groups them."""

    id: str
    name: str
    products: tuple[Product, ...]


@dataclass(frozen=True)
class Catalogue:
    """Everything the bot may state about support, read from the guide's transcription."""

    general_line: Hotline
    hotlines: Mapping[str, Hotline]
    families: tuple[Family, ...]
    region_labels: Mapping[str, str]
    north_places: tuple[str, ...]
    south_places: tuple[str, ...]
    north_words: tuple[str, ...]
    south_words: tuple[str, ...]
    outside_mainland: tuple[str, ...]
    service_hours: Mapping[str, Any]
    severities: Mapping[int, Severity]
    websites: Mapping[str, str]
    severity_signals: Mapping[str, tuple[str, ...]]
    severity_answers: Mapping[int, frozenset[str]]
    _alias_regex: re.Pattern[str] = field(repr=False, compare=False, default=re.compile("(?!)"))
    _alias_index: Mapping[str, Product] = field(repr=False, compare=False, default_factory=dict)

    # -- products -------------------------------------------------------------
    @property
    def products(self) -> list[Product]:
        """All products, in the guide's order."""
        return [p for fam in self.families for p in fam.products]

    def all_terms(self) -> list[str]:
        """Every product name and alias (for dictionaries and matchers)."""
        terms = []
        for p in self.products:
            terms.append(p.name)
            terms.extend(p.aliases)
        return terms

    def product(self, name_or_alias: str) -> Product | None:
        """The product for a canonical name or alias, whatever its case, width or spacing."""
        key = _key(name_or_alias)
        return self._alias_index.get(key)

    def find_products(self, text: str) -> list[Product]:
        """Products mentioned in free text, in order of appearance, without repeats."""
        found: list[Product] = []
        for m in self._alias_regex.finditer(_fold(text)):
            product = self._alias_index[_key(m.group())]
            if product not in found:
                found.append(product)
        return found

    def family(self, family_id: str) -> Family:
        """A family by id."""
        return next(f for f in self.families if f.id == family_id)

    def hotline_for(self, product: Product) -> Hotline:
        """The support line of a product's family."""
        return self.hotlines[product.hotline_key]

    # -- regions --------------------------------------------------------------
    def region_of(self, text: str) -> str | None:
        """``north`` / ``south`` from a region word, province or city in ``text``.

        The guide's north/south split only exists for mainland lines; the catalogue
        lists the north and the common southern provinces and cities.
        """
        if not text:
            return None
        folded = _fold(text)
        if folded in (NORTH, SOUTH):
            return folded
        north = any(w in folded for w in self.north_words)
        south = any(w in folded for w in self.south_words)
        if north != south:
            return NORTH if north else SOUTH
        # Both words ("上海算南方还是北方"): the place named decides; none, neither.
        if any(p in folded for p in self.north_places):
            return NORTH
        if any(p in folded for p in self.south_places):
            return SOUTH
        return None

    def is_outside_mainland(self, text: str) -> bool:
        """True when ``text`` names a place the guide's mainland numbers do not serve."""
        folded = _fold(text or "")
        return any(p in folded for p in self.outside_mainland)

    # -- facts ----------------------------------------------------------------
    def severity(self, level: int) -> Severity:
        """A severity level's definition."""
        return self.severities[level]

    def line_of_number(self, text: str) -> tuple[Hotline, str] | None:
        """The line and region key ("all", "north", "south") of a number in ``text``.

        Digits are compared without separators, the longest number first, so an
        extension line ("800-810-1818-5200") is not taken for the general line.
        """
        digits = re.sub(r"\D", "", to_halfwidth(text or ""))
        if not digits:
            return None
        candidates = [
            (re.sub(r"\D", "", number), line, region)
            for line in (self.general_line, *self.hotlines.values())
            for region, number in line.numbers.items()
        ]
        for bare, line, region in sorted(candidates, key=lambda c: -len(c[0])):
            if bare in digits:
                return line, region
        return None

    def all_numbers(self) -> list[str]:
        """Every phone number in the catalogue (for the guide-consistency test)."""
        numbers = list(self.general_line.numbers.values())
        for line in self.hotlines.values():
            numbers.extend(line.numbers.values())
        return numbers


def _fold(text: str) -> str:
    return to_simplified(to_halfwidth(text)).lower().strip()


def _key(text: str) -> str:
    return re.sub(r"\s+", "", _fold(text))


def _hotline(key: str, raw: Mapping[str, Any]) -> Hotline:
    return Hotline(
        key=key,
        label=raw.get("label", ""),
        numbers=dict(raw["numbers"]),
        menu=raw.get("menu", ""),
        note=raw.get("note", ""),
    )


def _severity_answers(raw: Mapping[str, Any]) -> dict[int, frozenset[str]]:
    """Every whole answer that names a level: its numerals, alone or in each form."""
    forms = [str(f) for f in raw["forms"]]
    return {
        int(level): frozenset([*numerals, *(form.format(n=n) for form in forms for n in numerals)])
        for level, numerals in raw["numerals"].items()
    }


def _build(raw: Mapping[str, Any]) -> Catalogue:
    hotlines = {k: _hotline(k, v) for k, v in raw["hotlines"].items()}
    families = []
    for fam in raw["families"]:
        products = tuple(
            Product(
                name=p["name"],
                family_id=fam["id"],
                family_name=fam["name"],
                hotline_key=p["hotline"],
                aliases=tuple(p.get("aliases", [])),
                umbrella=bool(p.get("umbrella", False)),
            )
            for p in fam["products"]
        )
        families.append(Family(id=fam["id"], name=fam["name"], products=products))
    index: dict[str, Product] = {}
    for fam in families:
        for p in fam.products:
            for term in (p.name, *p.aliases):
                k = _key(term)
                if k in index and index[k] != p:
                    raise ValueError(f"alias {term!r} names two products")
                index[k] = p
    terms = sorted(
        {t for p in index.values() for t in (p.name, *p.aliases)},
        key=lambda t: len(_key(t)),
        reverse=True,
    )
    regex = re.compile("|".join(alias_pattern(t) for t in terms))
    regions = raw["regions"]
    general = raw["general_line"]
    return Catalogue(
        general_line=Hotline("general", general["label"], {"all": general["number"]}),
        hotlines=hotlines,
        families=tuple(families),
        region_labels={NORTH: regions["labels"][NORTH], SOUTH: regions["labels"][SOUTH]},
        north_places=tuple(regions["north"]) + tuple(regions.get("north_cities", [])),
        south_places=tuple(regions.get("south_places", [])),
        north_words=tuple(regions.get("north_words", [])),
        south_words=tuple(regions.get("south_words", [])),
        outside_mainland=tuple(regions.get("outside_mainland", [])),
        service_hours=dict(raw["service_hours"]),
        severities={
            int(k): Severity(int(k), v["name"], v["definition"], v["example"])
            for k, v in raw["severities"].items()
        },
        websites=dict(raw["websites"]),
        severity_signals={str(k): tuple(v) for k, v in raw["severity_signals"].items()},
        severity_answers=_severity_answers(raw["severity_answers"]),
        _alias_regex=regex,
        _alias_index=index,
    )


def load_catalogue(path: Path | str = DEFAULT_PATH) -> Catalogue:
    """Read and index a catalogue file."""
    with open(path, encoding="utf-8") as fh:
        return _build(yaml.safe_load(fh))


@functools.lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    """The project's catalogue, loaded once per process."""
    return load_catalogue(DEFAULT_PATH)


def canonical_products(names: Sequence[str], catalogue: Catalogue | None = None) -> list[str]:
    """Canonical names for ``names``; raises ``KeyError`` naming the first unknown one."""
    cat = catalogue or default_catalogue()
    out = []
    for n in names:
        p = cat.product(n)
        if p is None:
            raise KeyError(n)
        if p.name not in out:
            out.append(p.name)
    return out
