"""bot.rasa.plugin: one explicit install of both adjustments, and nothing implicit."""

from __future__ import annotations

import os
import subprocess
import sys

from rasa.core.actions.action import RemoteAction
from rasa.core.processor import MessageProcessor

from bot.rasa import action_schema, handoff_gate, multi_request, plugin, resilience
from harness.model import ROOT

ENV = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}


def python(*args: str) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter in the repository (nothing installed by this test process)."""
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300
    )


def test_install_applies_both_once() -> None:
    plugin.install()
    run, validate = RemoteAction.run, RemoteAction._validate_action_result
    plugin.install()  # a second call must not wrap the wrapper
    assert RemoteAction.run is run and RemoteAction._validate_action_result is validate
    assert resilience.installed() and action_schema.installed() and plugin.installed()
    # The gate wraps the splitter: both stay installed, neither twice.
    assert multi_request.installed() and handoff_gate.installed()
    handle = MessageProcessor.handle_message
    plugin.install()
    assert MessageProcessor.handle_message is handle


def test_importing_the_nlu_components_installs_nothing() -> None:
    result = python(
        "-c",
        "import bot.nlu.components\n"
        "from bot.rasa import action_schema, resilience\n"
        "print(resilience.installed(), action_schema.installed())",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split()[-2:] == ["False", "False"]


def test_python_m_bot_rasa_hands_its_arguments_to_rasa() -> None:
    result = python("-m", "bot.rasa", "run", "--help")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "usage: rasa run" in result.stdout and "--enable-api" in result.stdout
