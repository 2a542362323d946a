"""The baseline's metrics, on hand-made labels (no model needed)."""

import pytest

from bot.nlu.baseline import error_ratio, macro_f1, rates, score, train_baseline


def test_macro_f1_counts_a_fallback_as_out_of_scope():
    gold = ["faq", "out_of_scope", "greet"]
    assert macro_f1(gold, ["faq", "nlu_fallback", "greet"]) == 1.0
    assert macro_f1(gold, ["faq", "faq", "greet"]) < 1.0


def test_rates_and_error_ratio():
    off, flows = rates(["out_of_scope", "nlu_fallback", "find_hotline", "faq"])
    assert (off, flows) == (0.5, 0.25)
    assert error_ratio(0.9, 0.8) == pytest.approx(0.5)
    result = score("x", ["faq", "greet"], ["faq", "greet"], ["faq", "faq"])
    assert result.ours_macro_f1 == 1.0 and result.error_ratio == 0.0


def test_baseline_learns_from_examples():
    examples = [("db2热线多少", "find_hotline"), ("热线电话", "find_hotline")] * 3
    examples += [("今天天气真好", "out_of_scope"), ("讲个笑话", "out_of_scope")] * 3
    model = train_baseline(examples)
    assert list(model.predict(["热线多少", "天气怎么样"])) == ["find_hotline", "out_of_scope"]
