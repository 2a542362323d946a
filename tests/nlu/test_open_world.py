"""Issue #13: the trained NLU is open-world and not worse than a plain baseline.

Gates on aggregate figures of the four held-out files (never on their messages):
off-topic messages handled as off-topic, off-topic messages that would start a
flow, and intent macro-F1 on the in-domain files. The five development sets,
which the gate and the configuration were tuned on, are gated too, so that a change
that undoes that tuning fails here.
"""

import pytest

from bot.nlu.baseline import Comparison, compare, table

# Training the model (first run) and parsing ~1 600 messages take minutes.
pytestmark = pytest.mark.timeout(1800)

# A little under what README's table reports (model of 2026-12-07 with the short-reply
# lexicon: 99.5 % handled, 0.0 % flow starts — the issue's own ceiling is 1 % —,
# macro-F1 0.974 / 0.945 / 0.978 on the three in-domain held-out files; dev 0.996 and
# 0.974, dev off-topic 99.1 % handled; the two development sets of the evening of
# 2026-12-06, 0.963 and 0.920).
MIN_OFF_TOPIC_HANDLED = {"offtopic": 0.98, "dev offtopic": 0.97}
MAX_OFF_TOPIC_FLOW_STARTS = 0.01
MIN_MACRO_F1 = {
    "test": 0.965,
    "noisy": 0.935,
    "noisy 3": 0.97,
    "dev noisy": 0.985,
    "dev mixed": 0.96,
    "dev 4a": 0.945,
    "dev 4b": 0.90,
}


@pytest.fixture(scope="module")
def results(model_agent) -> dict[str, Comparison]:
    found = compare(model_agent)
    print(table(found))
    return {r.name: r for r in found}


def test_sets_are_big_enough(results):
    assert results["offtopic"].examples >= 400
    assert results["noisy"].examples >= 300
    assert results["noisy 3"].examples >= 300
    assert all(results[f"dev {name}"].examples >= 300 for name in ("noisy", "offtopic", "mixed"))
    assert all(results[f"dev {name}"].examples >= 250 for name in ("4a", "4b"))


@pytest.mark.parametrize("name", sorted(MIN_OFF_TOPIC_HANDLED))
def test_off_topic_is_handled_as_off_topic(results, name):
    handled = results[name].off_topic_rate
    assert handled >= MIN_OFF_TOPIC_HANDLED[name], table(results.values())


def test_off_topic_rarely_starts_a_flow(results):
    assert results["offtopic"].flow_start_rate <= MAX_OFF_TOPIC_FLOW_STARTS, table(results.values())


@pytest.mark.parametrize("name", sorted(MIN_MACRO_F1))
def test_in_domain_macro_f1_does_not_drop(results, name):
    assert results[name].ours_macro_f1 >= MIN_MACRO_F1[name], table(results.values())
