"""The held-out scores, computed without a model (sklearn.metrics underneath)."""

from __future__ import annotations

import pytest

from bot.nlu.evaluate import entity_f1, intent_macro_f1


def test_intent_macro_f1_by_hand() -> None:
    gold = ["a", "a", "b", "b", "c"]
    pred = ["a", "b", "b", "b", "x"]
    # a: P 1, R 1/2 → 2/3; b: P 2/3, R 1 → 4/5; c: never predicted → 0 ("x" is no class)
    assert intent_macro_f1(gold, pred) == pytest.approx((2 / 3 + 4 / 5 + 0) / 3)
    assert intent_macro_f1(["a"], ["a"]) == 1.0
    assert intent_macro_f1([], []) == 0.0


def test_entity_f1_counts_pairs_per_example() -> None:
    gold = [{("product", "DB2"), ("phone", "13800000001")}, {("product", "Cognos")}, set()]
    pred = [{("product", "DB2")}, {("product", "Informix")}, {("phone", "13800000002")}]
    scores = entity_f1(gold, pred)
    # product: tp 1 (DB2), fp 1 (Informix), fn 1 (Cognos) → 2·1 / (2 + 1 + 1)
    assert scores["product"] == pytest.approx(0.5)
    # phone: tp 0, fp 1, fn 1 → 0
    assert scores["phone"] == 0.0
    assert list(scores) == ["phone", "product"]


def test_entity_f1_all_found() -> None:
    pairs = [{("email", "li.demo@example.com")}, {("email", "zhang.demo@example.com")}]
    assert entity_f1(pairs, pairs) == {"email": 1.0}
    assert entity_f1([set()], [set()]) == {}
