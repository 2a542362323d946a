"""A product and "whom do I call?" is a hotline request."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.contact_question import ContactQuestionIntent

ROOT = Path(__file__).resolve().parents[2]
CONFIG = next(
    c
    for c in yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    if c["name"].endswith("ContactQuestionIntent")
)


def read(text: str, products: list[str], intent: str = "report_outage") -> str:
    message = Message(
        data={
            "text": text,
            "intent": {"name": intent, "confidence": 0.6},
            "intent_ranking": [{"name": intent, "confidence": 0.6}],
            "entities": [{"entity": "product", "value": p} for p in products],
        }
    )
    component = ContactQuestionIntent({**ContactQuestionIntent.get_default_config(), **CONFIG})
    component.process([message])
    return str(message.get("intent")["name"])


@pytest.mark.parametrize(
    "text, product",
    [
        ("那我现在db2宕机了打给谁", "DB2"),
        ("domino出问题了找谁", "Domino"),
        ("cognos有问题联系谁", "Cognos"),
        ("filenet rx", "FileNet"),
        ("who should i call for informix", "Informix"),
    ],
)
def test_a_product_and_whom_to_call_is_a_hotline_request(text, product):
    assert read(text, [product]) == "find_hotline"


@pytest.mark.parametrize(
    "text, products",
    [
        ("快递丢了找谁", []),  # not ours: no product, the model decides
        ("db2 起不来了", ["DB2"]),  # a fault, no question about whom to call
        ("xrx 打印机", []),
        ("找个懂Cognos的人", ["Cognos"]),  # a person to talk to: the model's call
    ],
)
def test_other_messages_keep_the_models_intent(text, products):
    assert read(text, products) == "report_outage"
