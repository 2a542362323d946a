"""Product near misses: real typos match, other words and other vendors do not."""

import pytest

from bot.services.products import (
    as_written,
    match_product,
    resolve_products,
    unknown_product_name,
)


@pytest.mark.parametrize(
    "text, product",
    [
        ("infomix", "Informix"),
        ("informx的热线", "Informix"),
        ("webshpere 起不来", "WebSphere"),
        ("cogons 报表打不开", "Cognos"),
        ("科格诺思", "Cognos"),
        ("tivol", "Tivoli"),
        ("datastag", "DataStage"),
        ("maxmo", "Maximo"),
    ],
)
def test_typos_are_near_misses(text, product):
    match = match_product(text)
    assert match is not None and match.product.name == product and not match.exact


@pytest.mark.parametrize(
    "text, product",
    [
        ("db 2", "DB2"),
        ("科格诺斯", "Cognos"),
        ("Web Sphere", "WebSphere"),
        ("informix", "Informix"),
    ],
)
def test_spellings_in_the_catalogue_are_exact(text, product):
    match = match_product(text)
    assert match is not None and match.product.name == product and match.exact


@pytest.mark.parametrize(
    "text",
    [
        "Oracle",
        "SAP",
        "MySQL",
        "华为",
        "华为云",
        "SQL Server",
        "PostgreSQL",
        "WebLogic",
        "Linux",
        "domain",
        "nodes",
        "天气",
        "SQL1042C",
        "科技有限公司",
    ],
)
def test_unrelated_words_do_not_match(text):
    assert match_product(text) is None


def test_resolve_products_keeps_unknown_names_and_flags_guesses():
    assert resolve_products([], "infomix的热线电话") == (["Informix"], ["Informix"])
    assert resolve_products(["infomix", "DB2"], "") == (["Informix", "DB2"], ["Informix"])
    assert resolve_products(["Oracle"], "Oracle 热线") == (["Oracle"], [])
    assert resolve_products([], "热线") == ([], [])


def test_bare_product_only_when_the_message_is_the_name():
    from bot.services.products import bare_product

    assert bare_product("infomix").product.name == "Informix"
    assert bare_product("DB2。").product.name == "DB2"
    assert bare_product("DB2 热线多少") is None
    assert bare_product("infomix 的电话是多少") is None
    assert bare_product("Oracle") is None


@pytest.mark.parametrize(
    "text, name",
    [
        ("SPSS 的热线是多少", "SPSS"),  # a seventh blind tester got the family list
        ("Tableau hotline", "Tableau"),
        ("IBM客服电话", None),  # the vendor, not a product
        ("kf电话多少", None),  # chat shorthand is lower case
        ("rexian duoshao", None),  # so is pinyin
        ("Maximo 热线", None),  # in the catalogue
        ("What is the number for Cognos?", None),
    ],
)
def test_a_capitalised_name_the_catalogue_lacks_is_an_unknown_product(text, name):
    assert unknown_product_name(text) == name


def test_a_name_is_shown_as_written():
    assert as_written("Guardium 的电话", "guardium") == "Guardium"
    assert as_written("电话", "guardium") == "guardium"
