"""Rasa's moodbot as the floor: the Rasa CLI runner."""

from __future__ import annotations

from bench.moodbot import run_rasa


def test_run_rasa_runs_the_cli_and_keeps_its_output(tmp_path) -> None:
    log = tmp_path / "rasa.log"
    assert run_rasa(["--version"], tmp_path, log, timeout=300) > 0
    assert "Rasa Version" in log.read_text()
