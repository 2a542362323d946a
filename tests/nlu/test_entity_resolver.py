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


def test_a_short_learned_product_must_be_a_catalogue_name():
    # "this is as bad as before": DIET tagged the English word "as" (a piece of AS/400)
    assert _resolve(_ent("product", "as", 8, 10)) == []
    assert _resolve(_ent("product", "mq", 0, 2)) == [("product", "mq")]
    assert _resolve(_ent("product", "db2", 0, 3)) == [("product", "db2")]
    # A longer value may be a misspelling the product matcher still resolves.
    assert _resolve(_ent("product", "websphre", 0, 8)) == [("product", "websphre")]


def test_an_os_directly_followed_by_a_version_is_one_os():
    text = "跑在aix 7.2上，db2 11.5.8"
    ents = [
        _ent("os", "aix", 2, 5),
        _ent("version", "7.2", 6, 9),
        _ent("product", "db2", 11, 14),
        _ent("version", "11.5.8", 15, 21, RULE_EXTRACTOR),
    ]
    joined = EntityResolver.join_os_versions(ents, text)
    assert [(e["entity"], e["value"]) for e in joined] == [
        ("os", "aix 7.2"),
        ("product", "db2"),
        ("version", "11.5.8"),  # a product's version stays a version
    ]
    assert joined[0]["start"] == 2 and joined[0]["end"] == 9


def test_another_companys_product_is_not_a_learned_product():
    # "应用跑在tomcat上，连接池一直报错": DIET generalises to any product-like name
    assert _resolve(_ent("product", "tomcat", 4, 10)) == []
    assert _resolve(_ent("product", "weblogic", 4, 12)) == []
    assert _resolve(_ent("product", "informix", 0, 8)) == [("product", "informix")]


def test_a_learned_product_starting_inside_a_word_is_dropped():
    """The rules found the "ics" of "SPSS Statistics" (a blind tester got ICS's line)."""
    from rasa.shared.nlu.training_data.message import Message

    text = "SPSS Statistics 许可证激活失败，打哪个电话？"
    inside = _ent("product", "ICS", 12, 15, RULE_EXTRACTOR)
    message = Message(data={"text": text, "entities": [inside]})
    EntityResolver({}).process([message])
    assert message.get("entities") == []
    text = "我们的notes起不来"  # a Latin word after Chinese characters is whole
    message = Message(data={"text": text, "entities": [_ent("product", "Notes", 3, 8)]})
    EntityResolver({}).process([message])
    assert [e["value"] for e in message.get("entities")] == ["Notes"]


def test_no_os_without_a_letter_and_no_version_inside_a_log_time_stamp():
    """A fourteenth blind tester's cases went out with 操作系统：500 ("websphere应用服务器报
    500错误了") and, from a pasted db2diag log, 版本：17.01 and 操作系统：07."""
    from rasa.shared.nlu.training_data.message import Message

    assert _resolve(_ent("os", "500", 15, 18)) == []
    assert _resolve(_ent("os", "RHEL 8", 0, 6)) == [("os", "RHEL 8")]
    assert _resolve(_ent("version", ".", 3, 4)) == []  # from the same log
    text = "2026-12-07-17.01.11.123456+480 I1001E456 LEVEL: Severe, DB2 11.5.8 on AIX 7.2"
    version = text.index("11.5.8")
    ents = [
        _ent("version", "17.01", 11, 16, RULE_EXTRACTOR),
        _ent("version", "11.123456", 17, 26),
        _ent("version", "11.5.8", version, version + 6, RULE_EXTRACTOR),
    ]
    message = Message(data={"text": text, "entities": ents})
    EntityResolver({}).process([message])
    assert [e["value"] for e in message.get("entities")] == ["11.5.8"]
