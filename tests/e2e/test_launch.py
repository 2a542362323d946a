"""The Rasa server that ``make run`` starts has our plug-in (bot/rasa/plugin.py).

Starts ``scripts/run.sh`` itself — the command ``make run`` runs — on free ports and
a fresh database, with Rasa's action endpoint pointed at a port nobody listens on.
With the plug-in, the customer hears "系统繁忙" and the hotline; plain ``rasa run``
would log the failure and answer nothing, and this test would fail.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator

import pytest

from bot.rasa.resilience import busy_text
from harness.model import ROOT
from harness.servers import Stack, free_port, make_stack, wait_http
from tests.e2e.test_conversations import texts

pytestmark = pytest.mark.timeout(1800)


@pytest.fixture(scope="module")
def run_sh(trained_model, tmp_path_factory) -> Iterator[Stack]:
    """``scripts/run.sh`` on a fresh stack whose action endpoint is down."""
    stack = make_stack(tmp_path_factory.mktemp("launch"), trained_model)
    env = {
        **stack.env,
        "RASA_PORT": str(stack.rasa_port),
        "ACTIONS_PORT": str(free_port()),  # run.sh's own action server, not Rasa's endpoint
    }
    env.pop("CASE_NOTIFY_URLS", None)
    args = ["--model", str(trained_model)]
    for option in ("endpoints", "credentials"):  # later options win in Rasa's argparse
        args += [f"--{option}", str(stack.workdir / f"{option}.yml")]
    with open(stack.workdir / "run.log", "ab") as log:  # Popen keeps its own copy
        proc = subprocess.Popen(
            ["scripts/run.sh", *args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so cleanup reaches its children
        )
    try:
        wait_http(f"http://127.0.0.1:{stack.rasa_port}/webhooks/rest/", 900, proc)  # a busy CI box
        yield stack
    finally:
        proc.terminate()  # run.sh's trap stops the servers it started
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def test_make_runs_server_answers_busy_when_the_action_server_is_down(run_sh: Stack) -> None:
    reply = texts(run_sh.say("launch-1", "DB2 热线"))
    log = (run_sh.workdir / "run.log").read_text("utf-8")[-3000:]
    assert busy_text("DB2", None) in reply, f"reply: {reply!r}\n{log}"
