"""Start the real action server and Rasa server for end-to-end tests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.model import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status < 500:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(url)


@dataclass
class Stack:
    """A running action server + Rasa server on one fresh SQLite database."""

    workdir: Path
    db_url: str
    env: dict[str, str]
    action_port: int
    rasa_port: int
    model: Path
    procs: dict[str, subprocess.Popen]

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/webhook"

    def start_actions(self) -> None:
        with open(self.workdir / "actions.log", "ab") as log:  # Popen keeps its own copy
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "rasa_sdk",
                    "--actions",
                    "actions",
                    "--port",
                    str(self.action_port),
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.procs["actions"] = proc
        wait_http(f"http://127.0.0.1:{self.action_port}/health", 90, proc)

    def start_rasa(self) -> None:
        with open(self.workdir / "rasa.log", "ab") as log:  # Popen keeps its own copy
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "rasa",
                    "run",
                    "--model",
                    str(self.model),
                    "--endpoints",
                    str(self.workdir / "endpoints.yml"),
                    "--credentials",
                    str(self.workdir / "credentials.yml"),
                    "--interface",
                    "127.0.0.1",
                    "--port",
                    str(self.rasa_port),
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.procs["rasa"] = proc
        wait_http(f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/", 180, proc)

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)

    def say(self, sender: str, text: str) -> list[dict]:
        body = json.dumps({"sender": sender, "message": text}).encode()
        req = urllib.request.Request(self.webhook, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read())


def make_stack(workdir: Path, model: Path) -> Stack:
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / "ppa.db"
    db_url = f"sqlite:///{db_path}"
    action_port, rasa_port = free_port(), free_port()
    (workdir / "endpoints.yml").write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n'
        f'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "{db_path}"\n'
        "lock_store:\n  type: in_memory\n",
        "utf-8",
    )
    (workdir / "credentials.yml").write_text("rest:\n", "utf-8")
    env = {**os.environ, "PPA_DB_URL": db_url, "RASA_TELEMETRY_ENABLED": "false"}
    for cmd in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run([sys.executable, "-m", "bot", *cmd], cwd=ROOT, env=env, check=True)
    return Stack(workdir, db_url, env, action_port, rasa_port, model, {})
