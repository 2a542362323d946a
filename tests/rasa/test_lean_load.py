"""bot.rasa.lean_load: a model loaded without a training step predicts exactly the same.

The trained model is loaded twice in this process — with Rasa's own ``RasaModel.load``
and with :func:`bot.rasa.lean_load.lean_load`, whatever another test installed — and compared
weight by weight (DIET and the ResponseSelector) and parse by parse on the held-out set.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rasa.core.agent import Agent
from rasa.shared.nlu.training_data.loading import load_data
from rasa.utils.tensorflow.models import RasaModel

from bot.rasa import lean_load
from harness.model import ROOT

pytestmark = pytest.mark.timeout(1200)

HELD_OUT = ROOT / "tests" / "nlu_heldout_noisy.yml"


def _tf_models(agent: Agent) -> dict[str, RasaModel]:
    """The TensorFlow model of every graph component that has one, by node name."""
    nodes = agent.processor.graph_runner._instantiated_nodes  # type: ignore[union-attr]
    models = {}
    for name, node in nodes.items():
        model = getattr(node._component, "model", None)
        if isinstance(model, RasaModel):
            models[name] = model
    return models


def _weights(model: RasaModel) -> dict[str, np.ndarray]:
    return {variable.name: variable.numpy() for variable in model.weights}


def _load(model: Path, load: object) -> Agent:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RasaModel, "load", classmethod(load))
        return Agent.load(str(model))


@pytest.fixture(scope="module")
def rasa_agent(trained_model: Path) -> Agent:
    """Loaded by Rasa's own code, even if the plug-in is installed in this process."""
    return _load(trained_model, lean_load._rasa_load)


@pytest.fixture(scope="module")
def lean_agent(trained_model: Path) -> Agent:
    return _load(trained_model, lean_load.lean_load)


def test_rasa_agent_was_loaded_by_rasa_itself(rasa_agent: Agent) -> None:
    # The comparison below means something only if the reference took Rasa's path,
    # which creates the optimizer's state; the lean load must not.
    for name, model in _tf_models(rasa_agent).items():
        assert model.optimizer is not None and model.optimizer.variables(), name


def test_lean_load_skips_the_training_step(lean_agent: Agent) -> None:
    models = _tf_models(lean_agent)
    # config.yml has two TensorFlow components (its policies are rule-based).
    assert {name.split("_")[1].rstrip("0123456789") for name in models} == {
        "DIETClassifier",
        "ResponseSelector",
    }, sorted(models)
    for name, model in models.items():
        assert model.optimizer is None, name


def test_every_weight_is_restored_as_trained(rasa_agent: Agent, lean_agent: Agent) -> None:
    reference, lean = _tf_models(rasa_agent), _tf_models(lean_agent)
    assert reference.keys() == lean.keys()
    for name in reference:
        expected, loaded = _weights(reference[name]), _weights(lean[name])
        assert loaded, name
        assert set(loaded) <= set(expected), (name, set(loaded) - set(expected))
        for variable, value in loaded.items():
            np.testing.assert_array_equal(value, expected[variable], err_msg=f"{name} {variable}")
        # Only training state is left out: no weight the predictions use.
        for variable in set(expected) - set(loaded):
            assert "optimizer" in variable or "metric" in variable, (name, variable)


def _parse(agent: Agent, texts: list[str]) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        return [await agent.parse_message(text) for text in texts]

    return asyncio.run(run())


def test_predictions_are_the_same(rasa_agent: Agent, lean_agent: Agent) -> None:
    texts = [example.get("text") for example in load_data(str(HELD_OUT)).intent_examples]
    assert len(texts) >= 300
    for text, expected, got in zip(
        texts, _parse(rasa_agent, texts), _parse(lean_agent, texts), strict=True
    ):
        assert got["intent"]["name"] == expected["intent"]["name"], text
        assert got["intent"]["confidence"] == pytest.approx(
            expected["intent"]["confidence"], abs=1e-5
        ), text
        assert [(e["entity"], e["value"]) for e in got["entities"]] == [
            (e["entity"], e["value"]) for e in expected["entities"]
        ], text
        assert _faq(got) == _faq(expected), text
        assert _faq_confidence(got) == pytest.approx(_faq_confidence(expected), abs=1e-5), text


def _faq(parsed: dict[str, Any]) -> str:
    return str(parsed["response_selector"]["faq"]["response"]["intent_response_key"])


def _faq_confidence(parsed: dict[str, Any]) -> float:
    return float(parsed["response_selector"]["faq"]["response"]["confidence"])
