"""A throwaway PostgreSQL server (the test session's, the production bench profile's).

A cluster is created with ``initdb`` in a temporary directory, started with ``pg_ctl``
on a free loopback port with trust authentication, and removed by ``stop``. PostgreSQL
refuses to run as root, so as root the binaries run as the ``postgres`` user through
``runuser``. The test suite's ``pg_admin_url`` fixture (``tests/conftest.py``) uses one
unless ``PPA_TEST_PG_URL`` names a server.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from harness.servers import free_port

ADMIN_USER = "postgres"
SERVER_USER = "postgres"
START_TIMEOUT_S = 60


class PgUnavailable(RuntimeError):
    """No PostgreSQL server can be started here."""


class PgCluster:
    """An ``initdb`` cluster in a temporary directory, started and stopped with ``pg_ctl``."""

    def __init__(self) -> None:
        """Find the binaries and pick a data directory and port (nothing started yet)."""
        self._runas: list[str] = []
        self._owner: pwd.struct_passwd | None = None
        if os.getuid() == 0:
            try:
                self._owner = pwd.getpwnam(SERVER_USER)
            except KeyError as error:
                raise PgUnavailable(f"running as root and no {SERVER_USER!r} user") from error
            runuser = shutil.which("runuser")
            if runuser is None:
                raise PgUnavailable("running as root and runuser is not installed")
            self._runas = [runuser, "-u", SERVER_USER, "--"]
        self._initdb = self._binary("initdb")
        self._pg_ctl = self._binary("pg_ctl")
        # Not under pytest's tmp_path: its parents are private to root and postgres must reach it.
        self.root = Path(tempfile.mkdtemp(prefix="ppa-pg-"))
        if self._owner is not None:
            os.chown(self.root, self._owner.pw_uid, self._owner.pw_gid)
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgresql://{ADMIN_USER}@127.0.0.1:{self.port}/postgres"

    @staticmethod
    def _binary(name: str) -> str:
        path = shutil.which(name)
        if path is None:
            raise PgUnavailable(f"{name} not found on PATH (install PostgreSQL server binaries)")
        return path

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            [*self._runas, *args],
            check=False,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S,
        )
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise PgUnavailable(
                f"{Path(args[0]).name} failed ({done.returncode}): {done.stderr.strip()}\n{tail}"
            )

    def start(self) -> PgCluster:
        """Run initdb, then start; raises PgUnavailable with the server's own words on failure."""
        try:
            self._start()
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise
        return self

    def _start(self) -> None:
        self._run(
            self._initdb,
            "-D", str(self.data),
            "-U", ADMIN_USER,
            "-A", "trust",
            "-E", "UTF8",
            "--locale=C",
        )  # fmt: skip
        # Durability is pointless for a throwaway cluster; speed matters.
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        self._run(
            self._pg_ctl,
            "-D", str(self.data),
            "-l", str(self.root / "server.log"),
            "-o", options,
            "-w", "-t", str(START_TIMEOUT_S),
            "start",
        )  # fmt: skip

    def stop(self) -> None:
        """Stop the server and delete the cluster."""
        try:
            self._run(self._pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop")
        except (PgUnavailable, subprocess.TimeoutExpired):
            pass
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
