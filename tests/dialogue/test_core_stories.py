"""`rasa test core` on tests/test_stories.yml: every flow's next actions are predicted."""

import json
import os
import subprocess
import sys

import pytest

from harness.model import ROOT

# Training the model (first run) and starting the servers take minutes.
pytestmark = pytest.mark.timeout(1800)


def test_stories_have_no_prediction_errors(trained_model, tmp_path):
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.rasa",  # as every Rasa process we start: with our plug-in installed
            "test",
            "core",
            "--model",
            str(trained_model),
            "--stories",
            "tests/test_stories.yml",
            "--out",
            str(tmp_path),
            "--no-plot",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((tmp_path / "story_report.json").read_text("utf-8"))
    failed = (tmp_path / "failed_test_stories.yml").read_text("utf-8")
    assert report["conversation_accuracy"]["accuracy"] == 1.0, failed
