"""BareValueIntent: a message that is only values is an answer."""

import pytest

from bot.nlu.bare_values import BareValueIntent, only_values
from tests.nlu.rasa_messages import rasa_message

KINDS = frozenset({"product", "version", "os", "region"})


def _entity(kind: str, start: int, end: int) -> dict:
    return {"entity": kind, "start": start, "end": end, "value": "x"}


@pytest.mark.parametrize(
    ("text", "entities"),
    [
        ("filenet", [_entity("product", 0, 7)]),
        ("lotus notes 9。", [_entity("product", 0, 11), _entity("version", 12, 13)]),
        (" 华南 ", [_entity("region", 1, 3)]),
    ],
)
def test_values_with_only_spaces_and_punctuation_around_are_bare(text, entities):
    assert only_values(text, entities, KINDS)


@pytest.mark.parametrize(
    ("text", "entities"),
    [
        ("filenet挂了", [_entity("product", 0, 7)]),  # a fault report naming a product
        ("db2热线", [_entity("product", 0, 3)]),
        ("filenet", [_entity("person", 0, 7)]),  # not a kind of value listed
        ("filenet", []),
        ("。", [_entity("product", 0, 1)]),  # no content at all
    ],
)
def test_anything_more_than_values_is_not(text, entities):
    assert not only_values(text, entities, KINDS)


def test_a_bare_value_gets_the_answer_intent_and_the_rest_of_the_ranking_drops():
    ranking = [
        {"name": "report_outage", "confidence": 0.6},
        {"name": "inform", "confidence": 0.4},
    ]
    message = rasa_message("maximo", ranking=ranking)
    message.set("entities", [_entity("product", 0, 6)])
    other = rasa_message("maximo坏了", ranking=ranking)
    other.set("entities", [_entity("product", 0, 6)])
    component = BareValueIntent({"intent": "inform", "entities": sorted(KINDS)})
    component.process([message, other])
    assert message.get("intent") == {"name": "inform", "confidence": 1.0}
    assert [r["name"] for r in message.get("intent_ranking")] == ["inform", "report_outage"]
    assert message.get("intent_ranking")[1]["confidence"] == 0.0
    assert other.get("intent")["name"] == "report_outage"


PARTICLES = ("那", "呢", "还有", "的")


@pytest.mark.parametrize(
    ("text", "entities", "bare"),
    [
        ("tivoli呢", [_entity("product", 0, 6)], True),
        ("那filenet呢", [_entity("product", 1, 8)], True),
        ("还有cognos的", [_entity("product", 2, 8)], True),
        ("tivoli挂了呢", [_entity("product", 0, 6)], False),  # a fault, not a follow-up
        ("呢", [], False),
    ],
)
def test_a_value_with_particles_around_is_still_bare(text, entities, bare):
    assert only_values(text, entities, KINDS, PARTICLES) is bare
    assert not only_values(text, entities, KINDS)  # not bare without the particles


LABELS = {"case_id": ["案例号", "单号", "case"], "customer_number": ["客户号"], "phone": ["电话"]}
CONNECTORS = ("我们的", "是")
WITH_NUMBERS = KINDS | {"case_id", "customer_number", "phone"}


@pytest.mark.parametrize(
    ("text", "entities", "bare"),
    [
        ("案例号 pmr-250318-0412", [_entity("case_id", 4, 19)], True),
        ("我们的客户号是8801234", [_entity("customer_number", 7, 14)], True),
        ("case pmr-1", [_entity("case_id", 5, 10)], True),
        # A label of a kind the message does not name is not left over: a request.
        ("db2电话", [_entity("product", 0, 3)], False),
        # Connectors only with a label: "是db2" alone is not an answer by this rule.
        ("我们的是db2", [_entity("product", 4, 7)], False),
        ("showcase pmr-1", [_entity("case_id", 9, 14)], False),  # Latin labels whole only
    ],
)
def test_a_value_with_its_fields_name_is_still_bare(text, entities, bare):
    assert only_values(text, entities, WITH_NUMBERS, (), LABELS, CONNECTORS) is bare


def test_a_remembered_text_keeps_the_memorys_intent():
    from bot.nlu.memory import REMEMBERED

    message = rasa_message(
        "pmr-260214-0214?", ranking=[{"name": "check_case_status", "confidence": 1.0}]
    )
    message.set("entities", [_entity("case_id", 0, 15)])
    message.set(REMEMBERED, True)
    BareValueIntent({"intent": "inform", "entities": ["case_id"]}).process([message])
    assert message.get("intent")["name"] == "check_case_status"


@pytest.mark.parametrize(
    ("text", "answer"),
    [("第二个", True), ("最后一个", True), ("后面那个", True), ("第一个单子怎么样了", False)],
)
def test_words_for_a_listed_choice_are_an_answer(text, answer):
    """A twelfth blind tester's "最后一个" after a list got the off-topic answer."""
    message = rasa_message(text, ranking=[{"name": "out_of_scope", "confidence": 0.9}])
    BareValueIntent({"intent": "inform", "entities": sorted(KINDS)}).process([message])
    assert (message.get("intent")["name"] == "inform") is answer
