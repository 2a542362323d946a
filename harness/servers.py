"""Start the real action server and Rasa server(s) (end-to-end tests, the benchmark)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy.engine import make_url

from harness.model import ROOT

# Seconds a server may take from launch to answering: Rasa loads its model in about a
# minute alone, but servers launched together on a busy 2-core box took over 240 s.
START_TIMEOUT_S = 600
# The Rasa servers' default credentials.yml: the REST channel only.
REST_ONLY = "rest:\n"


def intake_turns(name: str, phone: str) -> list[str]:
    """A full fault report (both stages), up to the severity question.

    The e2e suite and the benchmark (which adds "好" and "确认") send these turns.
    """
    return [
        "生产库DB2 11.5.8 在AIX 7.2上起不来，报SQL1042C，急！",
        name,
        "演示科技有限公司",
        phone,
        "PPA-DEMO-0001",
        "FP7",
        "单实例，没有做HA",
        "没有",
        "每次启动都会出现",
        "机房断电后重启服务器",
        "执行 db2start 就报错",
    ]


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    """Block until ``url`` answers below 500; raise when ``proc`` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310  (our http URL)
                if resp.status < 500:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(url)


@dataclass
class Stack:
    """An action server + Rasa server(s) on one fresh database (SQLite or PostgreSQL)."""

    workdir: Path
    db_url: str
    env: dict[str, str]
    action_port: int
    rasa_port: int
    model: Path
    procs: dict[str, subprocess.Popen]
    rasa_args: tuple[str, ...] = ()  # extra `rasa run` options (the bench adds --enable-api)

    @property
    def webhook(self) -> str:
        """The first Rasa server's REST webhook URL."""
        return f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/webhook"

    def start_actions(self) -> None:
        """Start the action server and wait until it answers."""
        self.start({})

    def start_rasa(self, name: str = "rasa", port: int | None = None) -> None:
        """Start a Rasa server (``name`` for its process and log) and wait until it answers."""
        self.start({name: port or self.rasa_port}, actions=False)

    def start(
        self,
        rasa: Mapping[str, int] | None = None,
        *,
        actions: bool = True,
        credentials: Mapping[str, Path] | None = None,
    ) -> None:
        """Launch the action server and the Rasa servers (name → port) at once, then wait.

        One wait for all rather than one per server. (On the 2-core CI box a start is
        CPU-bound: actions + one Rasa server took 75 s launched together, 76 s one
        after the other; a box with more cores loads them side by side.)
        ``credentials``: a Rasa server's own credentials file (name → path); the others
        read the stack's ``credentials.yml``.
        """
        rasa = {"rasa": self.rasa_port} if rasa is None else rasa
        credentials = credentials or {}
        waits: list[tuple[str, subprocess.Popen]] = []
        if actions:
            proc = self._launch("actions", self.actions_command())
            waits.append((f"http://127.0.0.1:{self.action_port}/health", proc))
        for name, port in rasa.items():
            proc = self._launch(name, self.rasa_command(port, credentials.get(name)))
            waits.append((f"http://127.0.0.1:{port}/webhooks/rest/", proc))
        for url, proc in waits:
            wait_http(url, START_TIMEOUT_S, proc)

    def _launch(self, name: str, command: list[str]) -> subprocess.Popen:
        with open(self.workdir / f"{name}.log", "ab") as log:  # Popen keeps its own copy
            proc = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        self.procs[name] = proc
        return proc

    def actions_command(self) -> list[str]:
        """The action server's command line."""
        return [
            sys.executable,
            "-m",
            "rasa_sdk",
            "--actions",
            "actions",
            "--port",
            str(self.action_port),
        ]

    def rasa_command(self, port: int, credentials: Path | None = None) -> list[str]:
        """The Rasa server's command line (the one place it is spelled out)."""
        return [
            sys.executable,
            "-m",
            "bot.rasa",  # as scripts/run.sh: Rasa's CLI with our plug-in installed
            "run",
            "--model",
            str(self.model),
            "--endpoints",
            str(self.workdir / "endpoints.yml"),
            "--credentials",
            str(credentials or self.workdir / "credentials.yml"),
            "--interface",
            "127.0.0.1",
            "--port",
            str(port),
            *self.rasa_args,
        ]

    def stop(self, name: str) -> None:
        """Terminate (then kill) one server; nothing when it is not running."""
        proc = self.procs.pop(name, None)
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()

    def stop_all(self) -> None:
        """Stop every server."""
        for name in list(self.procs):
            self.stop(name)

    def say(self, sender: str, text: str, port: int | None = None) -> list[dict]:
        """Send one message over the REST webhook; the bot's replies."""
        url = f"http://127.0.0.1:{port or self.rasa_port}/webhooks/rest/webhook"
        body = json.dumps({"sender": sender, "message": text}).encode()
        req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310  (our http URL)
            return json.loads(resp.read())


def tracker_store_kind(endpoints: Path) -> str:
    """The ``type`` and ``cache_size`` lines of ``endpoints``' tracker store, as YAML.

    The stacks use the tracker store the project configures (``endpoints.yml`` for
    SQLite, ``deploy/endpoints.prod.yml`` for PostgreSQL), only on their own database.
    """
    block = yaml.safe_load(endpoints.read_text("utf-8"))["tracker_store"]
    return "".join(f"  {key}: {block[key]}\n" for key in ("type", "cache_size") if key in block)


def make_stack(
    workdir: Path,
    model: Path,
    db_url: str | None = None,
    lock_store: str | None = None,
    tracker_kind: str | None = None,
    credentials: str = REST_ONLY,
) -> Stack:
    """Servers on a fresh, migrated and seeded database.

    Default: one SQLite file for the support store and the tracker store. With
    ``db_url`` (PostgreSQL) both live there, and ``lock_store`` is the endpoints.yml
    block for the lock store (Redis in the production profile). ``tracker_kind``:
    the tracker store's ``type`` (and options) as YAML lines, instead of the
    project's (see :func:`tracker_store_kind`), e.g. to measure Rasa's own store.
    ``credentials``: the Rasa servers' credentials.yml (default: REST only).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    action_port, rasa_port = free_port(), free_port()
    if db_url is None:
        db_path = workdir / "ppa.db"
        db_url = f"sqlite:///{db_path}"
        kind = tracker_kind or tracker_store_kind(ROOT / "endpoints.yml")
        tracker = f'tracker_store:\n{kind}  dialect: "sqlite"\n  db: "{db_path}"\n'
    else:
        u = make_url(db_url)
        kind = tracker_kind or tracker_store_kind(ROOT / "deploy" / "endpoints.prod.yml")
        tracker = (
            f"tracker_store:\n{kind}  dialect: postgresql\n"
            f"  url: {u.host}\n  port: {u.port}\n  db: {u.database}\n"
            f"  username: {u.username}\n"
        )
    (workdir / "endpoints.yml").write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n'
        + tracker
        + (lock_store or "lock_store:\n  type: in_memory\n"),
        "utf-8",
    )
    (workdir / "credentials.yml").write_text(credentials, "utf-8")
    env = {**os.environ, "PPA_DB_URL": db_url, "RASA_TELEMETRY_ENABLED": "false"}
    for cmd in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run([sys.executable, "-m", "bot", *cmd], cwd=ROOT, env=env, check=True)
    return Stack(workdir, db_url, env, action_port, rasa_port, model, {})
