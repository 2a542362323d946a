"""Two requests in one message: the splitter and the acceptance rule, without Rasa."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.services.multi_request import RULES_PATH, SplitRules, accept, split


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("DB2热线多少？另外我们合同什么时候到期", ["DB2热线多少？", "我们合同什么时候到期"]),
        ("DB2热线多少，另外合同什么时候到期", ["DB2热线多少", "合同什么时候到期"]),
        ("DB2热线多少。合同什么时候到期？", ["DB2热线多少。", "合同什么时候到期？"]),
        ("informix热线多少 顺便问下案例进度", ["informix热线多少", "案例进度"]),
        ("什么是PPA？还有，DB2热线多少", ["什么是PPA？", "DB2热线多少"]),
        ("热线多少\n合同到期了吗", ["热线多少", "合同到期了吗"]),
    ],
)
def test_splits_at_sentence_ends_and_connectives(text: str, parts: list[str]) -> None:
    assert split(text) == parts


@pytest.mark.parametrize(
    "text",
    [
        "数据库还有问题",  # 还有 inside a sentence is no connective
        "还有什么办法吗",  # nor at the very start
        "另外问一下热线",
        "DB2以及Informix的热线",
        "你好",
        "好。",
        "嗯。好。行。",  # parts too short to be requests
        "一。二二。三三。四四。五五",  # more parts than a request list: a rambling report
        "",
    ],
)
def test_no_clear_boundary_keeps_the_message_whole(text: str) -> None:
    assert split(text) == [text.strip()]


def test_rules_are_data(tmp_path: Path) -> None:
    source = RULES_PATH.read_text(encoding="utf-8")
    custom = tmp_path / "rules.yml"
    custom.write_text(source.replace("  - 另外\n", "  - 另外\n  - 以及\n"), encoding="utf-8")
    rules = SplitRules.load(custom)
    assert split("DB2热线多少，以及合同到期没有", rules) == ["DB2热线多少", "合同到期没有"]
    assert split("DB2热线多少，以及合同到期没有") == ["DB2热线多少，以及合同到期没有"]


def parse(intent: str, confidence: float = 0.99, topic: str | None = None) -> dict:
    data = {"name": intent, "confidence": confidence}
    if topic:
        data["full_retrieval_intent_name"] = f"faq/{topic}"
    return {"intent": data}


def test_accepts_different_confident_requests() -> None:
    assert accept([parse("find_hotline"), parse("check_contract")], in_form=False)
    faq = parse("faq", topic="what_is_ppa")
    assert accept([faq, parse("faq", topic="upgrade_rights")], in_form=False)
    assert accept([faq, parse("find_hotline"), parse("check_case_status")], in_form=False)


@pytest.mark.parametrize(
    "parses",
    [
        [parse("report_outage"), parse("report_outage")],  # one fault told in two sentences
        [parse("faq", topic="what_is_ppa"), parse("faq", topic="what_is_ppa")],
        [parse("greet"), parse("find_hotline")],  # not a request
        [parse("find_hotline"), parse("out_of_scope")],  # the gate said off-topic
        [parse("find_hotline"), parse("check_contract", 0.6)],  # not confident
        [parse("find_hotline"), parse("nlu_fallback", 0.3)],
        [parse("find_hotline")],
    ],
)
def test_rejects_anything_less(parses: list[dict]) -> None:
    assert not accept(parses, in_form=False)


def test_inside_a_form_only_an_answer_then_a_clear_interruption() -> None:
    # "DB2 11.5。另外热线多少": the version answers the form, then the hotline.
    assert accept([parse("inform", 0.5), parse("find_hotline")], in_form=True)
    assert accept([parse("inform"), parse("faq", topic="what_is_ppa")], in_form=True)
    # A fault description in two sentences stays the form's answer.
    assert not accept([parse("inform"), parse("report_outage")], in_form=True)
    assert not accept([parse("inform"), parse("check_contract")], in_form=True)
    assert not accept([parse("inform"), parse("find_hotline", 0.5)], in_form=True)
