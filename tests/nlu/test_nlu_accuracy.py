"""The trained NLU on the held-out set must clear the agreed gates."""

import pytest

from bot.nlu.evaluate import GATED_ENTITIES, evaluate, summary_table

# Training the model (first run) and starting the servers take minutes.
pytestmark = pytest.mark.timeout(1800)


@pytest.fixture(scope="module")
def report(model_agent):
    return evaluate(model_agent)


def test_held_out_set_is_big_enough(report):
    assert report.examples >= 250


def test_gates(report):
    print(summary_table(report))
    assert not report.failures(), summary_table(report)


def test_gated_entities_are_measured(report):
    for name in GATED_ENTITIES:
        assert name in report.entity_f1, f"no {name} in the held-out set"
