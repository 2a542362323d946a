"""Rasa's own minimal bot (``rasa init``'s moodbot) as the floor to compare against.

The project is created and trained once (about 1.5 min on 2 cores) and cached under
``build/moodbot``; later runs reuse it. The server runs with Rasa's defaults (in-memory
tracker store, no action server) on a free loopback port.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from harness.servers import free_port, wait_http

ROOT = Path(__file__).resolve().parents[1]
MOOD_DIR = ROOT / "build" / "moodbot"
INIT_TIMEOUT_S = 900
TRAIN_TIMEOUT_S = 1800
START_TIMEOUT_S = 240

# Thirteen turns, like the PPA case intake; every one gets at least one reply.
MOOD_TURNS: tuple[str, ...] = (
    "hi",
    "I am sad",
    "yes",
    "hey",
    "great",
    "are you a bot?",
    "hello",
    "my day was horrible",
    "no",
    "hi",
    "I am sad",
    "yes",
    "bye",
)


def rasa_env() -> dict[str, str]:
    """The environment for Rasa subprocesses (no telemetry, quiet TensorFlow)."""
    return {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}


def moodbot_model(project: Path = MOOD_DIR) -> Path | None:
    """The newest trained moodbot model in ``project``, if any."""
    models = sorted((project / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def ensure_moodbot(log: Path) -> tuple[Path, float | None]:
    """The cached moodbot model; ``rasa init`` (which trains it) when there is none.

    Returns the model and the seconds ``rasa init`` took (None when cached).
    """
    model = moodbot_model()
    if model is not None:
        return model, None
    MOOD_DIR.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix="moodbot-", dir=MOOD_DIR.parent))
    try:
        seconds = run_rasa(["init", "--no-prompt", "--init-dir", "."], partial, log, INIT_TIMEOUT_S)
        if moodbot_model(partial) is None:
            raise RuntimeError(f"rasa init trained no model (see {log})")
        shutil.rmtree(MOOD_DIR, ignore_errors=True)
        partial.rename(MOOD_DIR)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    model = moodbot_model()
    if model is None:
        raise RuntimeError(f"no moodbot model under {MOOD_DIR} after rasa init")
    return model, seconds


def train_seconds(project: Path, out_dir: Path, log: Path) -> float:
    """Wall time of ``rasa train --force`` for ``project`` into ``out_dir``."""
    return run_rasa(["train", "--force", "--out", str(out_dir)], project, log, TRAIN_TIMEOUT_S)


def run_rasa(args: list[str], cwd: Path, log: Path, timeout: float) -> float:
    """Run ``rasa <args>`` in ``cwd`` (output appended to ``log``); its wall time in s."""
    start = time.perf_counter()
    with open(log, "ab") as out:
        subprocess.run(
            [sys.executable, "-m", "rasa", *args],
            cwd=cwd,
            env=rasa_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=timeout,
        )
    return time.perf_counter() - start


@dataclass
class MoodbotServer:
    """A ``rasa run --enable-api`` for the moodbot (launched, maybe not ready yet)."""

    proc: subprocess.Popen
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def webhook(self) -> str:
        return f"{self.base_url}/webhooks/rest/webhook"

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        """Block until the REST channel answers (or raise)."""
        wait_http(f"http://127.0.0.1:{self.port}/webhooks/rest/", timeout, self.proc)

    def stop(self) -> None:
        """Terminate (then kill) the server."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def launch_moodbot(model: Path, log: Path) -> MoodbotServer:
    """Start the moodbot's Rasa server on a free loopback port (without waiting)."""
    port = free_port()
    with open(log, "ab") as out:  # Popen keeps its own copy
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "rasa",
                "run",
                "--enable-api",
                "--model",
                str(model),
                "--interface",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=MOOD_DIR,
            env=rasa_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return MoodbotServer(proc, port)
