"""EntityResolver: one entity per span, rules first for exact shapes, shapes checked."""

from bot.nlu.components import RULE_EXTRACTOR, EntityResolver

DIET = "DIETClassifier"


def _ent(entity, value, start, end, extractor=DIET):
    return {"entity": entity, "value": value, "start": start, "end": end, "extractor": extractor}


def _resolve(*entities):
    return [(e["entity"], e["value"]) for e in EntityResolver({}).resolve(list(entities))]


def test_a_learned_phone_that_is_no_phone_is_dropped():
    # "Connections升级到6.5之后首页一直500": the HTTP status is not a phone number
    assert _resolve(_ent("phone", "500", 22, 25), _ent("version", "6.5", 14, 17)) == [
        ("version", "6.5")
    ]
    assert _resolve(_ent("phone", "8192-", 5, 10)) == []
    assert _resolve(_ent("email", "zhang@", 0, 6)) == []


def test_a_learned_phone_of_the_right_shape_stays():
    assert _resolve(_ent("phone", "138 5712 4490", 3, 16)) == [("phone", "138 5712 4490")]
    assert _resolve(_ent("email", "li@example.com", 0, 14)) == [("email", "li@example.com")]


def test_rules_win_on_exact_shapes_and_are_not_rechecked():
    rule = _ent("phone", "13800000001", 0, 11, RULE_EXTRACTOR)
    learned = _ent("customer_number", "13800000001", 0, 11)
    assert _resolve(learned, rule) == [("phone", "13800000001")]


def test_a_learned_customer_or_contract_number_needs_the_shape_of_one():
    # "88" is byebye, "x86" an architecture: neither has four digits.
    assert _resolve(_ent("customer_number", "88", 0, 2)) == []
    assert _resolve(_ent("contract_number", "x86", 4, 7)) == []
    assert _resolve(_ent("contract_number", "PPA20230518", 0, 11)) == [
        ("contract_number", "PPA20230518")
    ]
    assert _resolve(_ent("customer_number", "8862518", 3, 10)) == [("customer_number", "8862518")]
