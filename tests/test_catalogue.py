"""The catalogue against the guide it was transcribed from."""

import os
import re
from pathlib import Path

import pytest

from bot.catalogue import NORTH, SOUTH, canonical_products, default_catalogue

GUIDE_NAME = Path("shared") / "seed" / "000_3d95df71fb7f0efc.txt"


def find_guide() -> Path | None:
    """The vendor's guide: $PPA_GUIDE_PATH, else shared/ beside the checkout (or above it)."""
    if os.environ.get("PPA_GUIDE_PATH"):
        return Path(os.environ["PPA_GUIDE_PATH"])
    for parent in Path(__file__).resolve().parents:
        if (parent / GUIDE_NAME).exists():
            return parent / GUIDE_NAME
    return None


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@pytest.fixture(scope="module")
def guide_text() -> str:
    guide = find_guide()
    if guide is None or not guide.exists():  # CI lays shared/ beside the clone
        pytest.fail(f"the guide ({GUIDE_NAME}) was not found; set PPA_GUIDE_PATH")
    return guide.read_text("utf-8")


def test_every_catalogue_number_is_in_the_guide(guide_text):
    guide_digits = digits(guide_text)
    for number in default_catalogue().all_numbers():
        assert digits(number) in guide_digits, number


def test_every_guide_hotline_is_in_the_catalogue(guide_text):
    ours = {digits(n) for n in default_catalogue().all_numbers()}
    # Phone-number shapes in the guide: 800 lines with extension, 10800 / 108 lines.
    found = re.findall(r"(?:800-?810-?1818(?:-\d{4})?|10800-\d{3}-\d{4}|1080\d{8})", guide_text)
    assert found, "the pattern found no numbers in the guide"
    for number in found:
        assert digits(number) in ours, number


def test_definitions_and_urls_come_from_the_guide(guide_text):
    cat = default_catalogue()
    flat = re.sub(r"[\s,，.。:：;；]", "", guide_text)
    for sev in cat.severities.values():
        for fact in (sev.name, sev.definition, sev.example):
            assert re.sub(r"[\s,，.。:：;；]", "", fact) in flat, fact
    for url in cat.websites.values():
        assert url in guide_text, url


def test_region_labels_are_the_guides(guide_text):
    # The answers say "北方区 …" / "南方免费电话 …" as the guide does.
    labels = default_catalogue().region_labels
    assert set(labels) == {NORTH, SOUTH}
    for label in labels.values():
        assert f"{label}区" in guide_text, label


@pytest.mark.parametrize(
    "typed, canonical",
    [
        ("db2", "DB2"),
        ("Ｗｅｂ Ｓｐｈｅｒｅ", "WebSphere"),
        ("WAS", "WebSphere Application Server"),
        ("as400", "IBM i"),
        ("Lotus Notes", "Notes"),
        ("tm1", "Cognos"),
        ("TSM", "Tivoli"),
    ],
)
def test_aliases(typed, canonical):
    assert default_catalogue().product(typed).name == canonical


def test_hotline_of_products():
    cat = default_catalogue()
    assert cat.hotline_for(cat.product("informix")).numbers["all"] == "800-810-1818-5266"
    assert cat.hotline_for(cat.product("filenet")).numbers["all"] == "800-810-1818-5122"
    assert cat.hotline_for(cat.product("domino")).numbers["all"] == "800-810-1818-5175"
    assert cat.hotline_for(cat.product("maximo")).numbers["all"] == "800-810-1818-5200"
    rational = cat.hotline_for(cat.product("clearcase"))
    assert rational.numbers == {NORTH: "10800-610-0349", SOUTH: "10800-261-0349"}


def test_find_products_in_free_text():
    cat = default_catalogue()
    found = [p.name for p in cat.find_products("WAS8.5 报 WASX7017E，MQ 也连不上")]
    assert found == ["WebSphere Application Server", "WebSphere MQ"]


@pytest.mark.parametrize(
    "text, region",
    [
        ("北京", NORTH),
        ("我在沈阳", NORTH),
        ("上海分公司", SOUTH),
        ("广州", SOUTH),
        ("南方", SOUTH),
        ("你好", None),
        ("上海算南方还是北方", SOUTH),  # the place decides between the two words
        ("沈阳是北方还是南方", NORTH),
        ("南方北方的号码都给我", None),
    ],
)
def test_regions(text, region):
    assert default_catalogue().region_of(text) == region


def test_canonical_products_rejects_unknown():
    assert canonical_products(["db2", "DB2", "was"]) == ["DB2", "WebSphere Application Server"]
    with pytest.raises(KeyError):
        canonical_products(["oracle"])
