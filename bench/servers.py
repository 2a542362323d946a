"""Our servers for the benchmark: started in the background, in either profile.

``embedded`` is what ``make run`` starts (one Rasa server on one SQLite file);
``production`` is deploy/'s shape (two Rasa servers, PostgreSQL, a Redis lock store),
all thrown away afterwards.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from bench.wechat import credentials_yaml
from harness.pg_server import PgCluster
from harness.servers import Stack, free_port, make_stack

STOP_ROUNDS = 30


class BackgroundStart:
    """Start a Stack's action server, then its Rasa servers in parallel, in threads.

    The servers take a minute or more to load; meanwhile the main thread starts the
    moodbot's. ``ready_s`` is each Rasa server's seconds from launch to answering.
    """

    def __init__(self, stack: Stack, rasa_ports: dict[str, int]) -> None:
        self.stack = stack
        self.rasa_ports = rasa_ports
        self.errors: list[BaseException] = []
        self.ready_s: dict[str, float] = {}
        self.thread = threading.Thread(target=self._run, name="stack-start", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.stack.start_actions()
            threads = [
                threading.Thread(target=self._start_rasa, args=item, daemon=True)
                for item in self.rasa_ports.items()
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        except BaseException as exc:  # handed to wait()
            self.errors.append(exc)

    def _start_rasa(self, name: str, port: int) -> None:
        try:
            start = time.perf_counter()
            self.stack.start_rasa(name, port)
            self.ready_s[name] = time.perf_counter() - start
        except BaseException as exc:  # handed to wait()
            self.errors.append(exc)

    def wait(self, timeout: float) -> None:
        """Block until every server answers; raise what a start raised."""
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise TimeoutError("the action server / Rasa servers did not start in time")
        if self.errors:
            raise RuntimeError("starting our servers failed") from self.errors[0]

    def stop(self) -> None:
        """Stop every server, also one the thread starts while we stop (bounded)."""
        for _ in range(STOP_ROUNDS):
            self.stack.stop_all()  # a stopped server makes the thread's wait_http raise
            self.thread.join(1.0)
            if not self.thread.is_alive():
                break
        self.stack.stop_all()


@contextlib.contextmanager
def our_stack(
    profile: str, work: Path, model: Path, wechat_api: str
) -> Iterator[tuple[Stack, dict[str, int]]]:
    """Our stack, not yet started, and the Rasa servers to start (name → port).

    ``embedded``: one Rasa server on one SQLite file (what ``make run`` starts).
    ``production``: two Rasa servers on one PostgreSQL (tracker and support store)
    and one Redis lock store and channel state, as in deploy/ (both started here,
    thrown away after). Both serve REST and WeChat (safe mode, API at ``wechat_api``).
    """
    if profile == "embedded":
        stack = make_stack(work / "ours", model, credentials=credentials_yaml(wechat_api, None))
        yield stack, {"rasa": stack.rasa_port}
        return
    pg = PgCluster().start()
    redis = start_redis(work / "redis.log")
    try:
        lock = f"lock_store:\n  type: redis\n  url: 127.0.0.1\n  port: {redis[1]}\n  db: 1\n"
        credentials = credentials_yaml(wechat_api, redis[1])
        stack = make_stack(work / "ours", model, pg.url, lock, credentials=credentials)
        yield stack, {"rasa": stack.rasa_port, "rasa2": free_port()}
    finally:
        redis[0].terminate()
        redis[0].wait(10)
        pg.stop()


def start_redis(log: Path) -> tuple[subprocess.Popen, int]:
    """A throwaway redis-server on a free loopback port (no persistence)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("the production profile needs redis-server (apt install redis-server)")
    port = free_port()
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return proc, port
