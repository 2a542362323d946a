"""Hotline answers: numbers per product and region, hours, open / closed now."""

import datetime as dt

from bot.services.hotline import HotlineService

OPEN = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.timezone.utc)  # Thu 10:00 CST
CLOSED = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.timezone.utc)  # Sat 10:00 CST
svc = HotlineService()


def test_single_product_number_hours_and_open_now():
    text = svc.answer(["Informix"], None, OPEN).text
    assert "800-810-1818-5266" in text and "8:30" in text and "严重程度一" in text
    assert "现在是工作时间" in text


def test_closed_on_weekend_points_to_online_and_severity1():
    text = svc.answer(["db2"], None, CLOSED).text
    assert "800-810-1818-5200" in text and "非工作时间" in text and "servicerequest" in text


def test_regional_products_use_the_region_or_give_both():
    assert "10800-610-0409" in svc.answer(["cognos"], "north", OPEN).text
    assert "10800-261-0417" not in svc.answer(["cognos"], "north", OPEN).text
    both = svc.answer(["rational"], None, OPEN).text
    assert "北方免费电话 10800-610-0349" in both and "南方免费电话 10800-261-0349" in both


def test_several_products_each_get_their_number():
    text = svc.answer(["FileNet", "Domino", "WAS"], None, OPEN).text
    for number in ("5122", "5175", "5200"):
        assert f"800-810-1818-{number}" in text


def test_unknown_product_gets_the_general_line():
    text = svc.answer(["oracle"], None, OPEN).text
    assert "800-810-1818" in text and "oracle" in text and "-5200" not in text


def test_no_product_gives_the_general_line_then_asks_with_choices():
    reply = svc.answer([], None, OPEN)
    assert reply.choices and ("Informix", "Informix") in reply.choices
    general = svc.catalogue.general_line
    assert reply.text.startswith(f"{general.label} {general.numbers['all']}")
    assert reply.text.index("800-810-1818") < reply.text.index("请问是哪个产品")


def test_pao_line_with_menu_path():
    text = svc.answer([], "south", OPEN, pao=True).text
    assert "108002610126" in text and "按 6" in text and "108006100126" not in text
    # The support hours are the product lines' (a blind tester saw them repeated under
    # the PAO line, for which the guide gives none); with a product they stay.
    assert "08:30" not in text
    assert "08:30" in svc.answer(["DB2"], None, OPEN, pao=True).text


def test_callers_outside_the_mainland_are_told_the_numbers_are_mainland_ones():
    """A blind tester in Taiwan was given the mainland numbers without a word."""
    note = "以上是面向中国大陆的免费电话"
    text = svc.answer(["DB2"], None, OPEN, abroad=True).text
    assert "800-810-1818-5200" in text and note in text
    assert "http://www.ibm.com/support/servicerequest" in text
    assert note not in svc.answer(["DB2"], None, OPEN).text
    catalogue = svc.catalogue
    for place in ("我在台湾", "香港分公司", "我們在臺北", "人在海外"):
        assert catalogue.is_outside_mainland(place), place
    for place in ("我在上海", "广州", "台州", ""):
        assert not catalogue.is_outside_mainland(place), place


def test_a_second_number_in_a_conversation_does_not_repeat_the_hours():
    """A blind tester read the same hours paragraph under every number asked for."""
    again = svc.answer(["WAS"], None, OPEN, hours_told=True).text
    assert "800-810-1818-5200" in again and "服务时间同上" in again
    assert svc.hours_sentence() not in again and "现在是工作时间" in again
    assert svc.hours_sentence() in svc.answer(["WAS"], None, OPEN).text
    assert "非工作时间" in svc.answer(["WAS"], None, CLOSED, hours_told=True).text


def test_the_urgent_hint_never_sends_an_engineer_call_to_the_general_line():
    """The general line is for product information (the guide); a fourteenth blind
    tester's "数据库挂了" was told to call it to reach an engineer."""
    general = svc.catalogue.general_line.numbers["all"]
    unknown = svc.urgent_hint_text(None, None)
    assert general not in unknown and "哪个产品" in unknown
    assert "800-810-1818-5266" in svc.urgent_hint_text("Informix", None)
    asked = svc.answer([], None, dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.timezone.utc))
    assert "任何产品" not in asked.text and "产品相关信息" in asked.text


def test_a_region_asked_of_a_national_line_is_told_it_is_one_number():
    """ "informix 华南的号码" got the national number with no word on the region."""
    informix = svc.catalogue.product("Informix")
    assert svc.line_text(informix, "south").endswith("（全国统一号码，不分南北）")
    assert "不分南北" not in svc.line_text(informix, None)
