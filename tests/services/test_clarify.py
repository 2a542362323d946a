"""What the fallback names when the NLU hesitated, without Rasa."""

from __future__ import annotations

from typing import Any

from bot.services.clarify import ClarifyRules, candidates, default_rules
from bot.services.nlu_review import trainable_labels

OFFERS = default_rules().requests


def parse(text: str, *ranking: tuple[str, float], topic: str | None = None) -> dict[str, Any]:
    """A parse as FallbackClassifier leaves it: nlu_fallback first, then the models' ranking."""
    data: dict[str, Any] = {
        "text": text,
        "intent": {"name": "nlu_fallback", "confidence": 0.5},
        "entities": [],
        "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.5}]
        + [{"name": name, "confidence": conf} for name, conf in ranking],
    }
    if topic:
        data["response_selector"] = {"faq": {"response": {"intent_response_key": topic}}}
    return data


def test_two_close_requests_are_both_named_surest_first() -> None:
    # The top two within the ambiguity threshold, one of them over 0.5.
    got = candidates(parse("真人？", ("bot_challenge", 0.51), ("human_handoff", 0.46)))
    assert got == [OFFERS["bot_challenge"], OFFERS["human_handoff"]]


def test_faq_is_named_by_the_selectors_topic() -> None:
    text = "Db2出了12.1，在保期内我们可以直接升上去吧"
    got = candidates(
        parse(text, ("faq", 0.42), ("report_outage", 0.47), topic="faq/upgrade_rights")
    )
    assert got == [OFFERS["report_outage"], OFFERS["faq/upgrade_rights"]]


def test_replies_are_not_offered_and_a_surer_non_request_stops_the_list() -> None:
    # "冇啊": deny / affirm are answers, not requests to offer.
    assert candidates(parse("冇啊", ("deny", 0.37), ("affirm", 0.27))) == []
    assert (
        candidates(parse("IBM是哪一年成立的", ("out_of_scope", 0.43), ("check_contract", 0.39)))
        == []
    )
    assert candidates(parse("DB2 热线", ("find_hotline", 0.44), ("inform", 0.30))) == [
        OFFERS["find_hotline"]
    ]


def test_no_evidence_no_offer() -> None:
    # An off-topic question that leaned to an FAQ topic, and another company's product.
    assert candidates(parse("的地得到底怎么区分", ("faq", 0.51), topic="faq/severity_levels")) == []
    assert candidates(parse("Oracle数据库宕机了", ("report_outage", 0.46))) == []


def test_traditional_and_full_width_text_is_read_in_the_evidences_spelling() -> None:
    # ＰＰＡ is ppa once half-width and lower case: the word lists are normalised.
    assert candidates(parse("ＰＰＡ還有效嗎", ("check_contract", 0.45))) == [
        OFFERS["check_contract"]
    ]


def test_unsure_requests_and_the_limit() -> None:
    assert candidates(parse("DB2 热线", ("find_hotline", 0.24), ("report_outage", 0.2))) == []
    three = parse(
        "DB2 合同 热线 故障", ("find_hotline", 0.3), ("report_outage", 0.3), ("check_contract", 0.3)
    )
    assert len(candidates(three)) == 2
    one = ClarifyRules(floor=0.1, limit=1, requests=OFFERS)
    assert candidates(three, one) == [OFFERS["find_hotline"]]


def test_every_offer_is_an_intent_or_faq_topic_of_the_domain() -> None:
    labels = trainable_labels()  # the domain's intents and faq/<topic>s
    assert set(OFFERS) <= labels
    assert {t for t in labels if t.startswith("faq/")} <= set(OFFERS)
    assert all(o.label and o.say and not o.say.startswith("/") for o in OFFERS.values())
