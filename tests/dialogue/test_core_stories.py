"""`rasa test core` on tests/test_stories.yml: every flow's next actions are predicted.

Rasa's own story test (what the CLI command runs), in process on the session's
loaded model rather than in a `rasa test core` subprocess that loads it again.
"""

import asyncio
import json

import pytest

from bot.rasa import plugin
from harness.model import ROOT

# Training the model (first run) and loading it take minutes.
pytestmark = pytest.mark.timeout(1800)


def test_stories_have_no_prediction_errors(model_agent, tmp_path):
    from rasa.core.test import test as rasa_test_core

    plugin.install()  # as every Rasa process we start: with our plug-in installed
    asyncio.run(
        rasa_test_core(
            str(ROOT / "tests" / "test_stories.yml"),
            model_agent,
            out_directory=str(tmp_path),
            disable_plotting=True,
        )
    )
    report = json.loads((tmp_path / "story_report.json").read_text("utf-8"))
    failed = (tmp_path / "failed_test_stories.yml").read_text("utf-8")
    assert report["conversation_accuracy"]["accuracy"] == 1.0, failed
