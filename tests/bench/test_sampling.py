"""Process and machine sampling, against real processes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import psutil
import pytest

from bench.sampling import (
    cpu_seconds,
    machine_info,
    other_cpu,
    process_tree,
    sample_peaks,
    tree_rss_mb,
)

# A parent that starts a child holding ~64 MB, then both wait to be killed.
_HOLDER = "import time; block = bytearray(64 * 1024 * 1024); time.sleep(120)"
_PARENT = (
    "import subprocess, sys, time; "
    f"subprocess.Popen([sys.executable, '-c', {_HOLDER!r}]); time.sleep(120)"
)


def _child_rss_mb(pid: int) -> float:
    """Resident MB of the processes under ``pid`` (not ``pid`` itself)."""
    return sum(p.memory_info().rss for p in process_tree(pid)[1:]) / 1024 / 1024


@pytest.fixture
def tree() -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen([sys.executable, "-c", _PARENT])
    try:
        deadline = time.monotonic() + 30
        # Until the child's block is resident, not just the tree's first 64 MB: the
        # child fills its block page by page (seen: 68 MB with the parent's 9 MB).
        while time.monotonic() < deadline and _child_rss_mb(proc.pid) < 64:
            time.sleep(0.1)
        yield proc
    finally:
        for child in psutil.Process(proc.pid).children(recursive=True):
            child.kill()
        proc.kill()
        proc.wait(10)


def test_tree_rss_sums_the_children(tree: subprocess.Popen) -> None:
    pids = [p.pid for p in process_tree(tree.pid)]
    assert pids[0] == tree.pid and len(pids) == 2
    own = psutil.Process(tree.pid).memory_info().rss / 1024 / 1024
    assert tree_rss_mb(tree.pid) >= own + 64  # the child's block is counted


def test_a_gone_process_is_an_empty_tree() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(30)
    assert process_tree(proc.pid) == [] and tree_rss_mb(proc.pid) == 0.0


async def test_sample_peaks_records_until_stopped(tree: subprocess.Popen) -> None:
    peaks: dict[str, float] = {}
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_peaks({"t": tree.pid}, peaks, stop, max_samples=1000))
    await asyncio.sleep(0.6)
    stop.set()
    await asyncio.wait_for(sampler, 5)
    assert peaks["t"] >= 64


async def test_sample_peaks_is_bounded() -> None:
    peaks: dict[str, float] = {}
    await asyncio.wait_for(sample_peaks({"me": os.getpid()}, peaks, asyncio.Event(), 2), 5)
    assert peaks["me"] > 0


def test_cpu_seconds_count_our_children() -> None:
    busy_before, ours_before = cpu_seconds()
    burn = "import time\nend = time.process_time() + 0.5\nwhile time.process_time() < end: pass"
    proc = subprocess.Popen([sys.executable, "-c", burn + "\ntime.sleep(30)"])
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and psutil.Process(proc.pid).cpu_times().user < 0.5:
            time.sleep(0.1)
        busy_after, ours_after = cpu_seconds()  # the child is alive: counted as ours
    finally:
        proc.kill()
        proc.wait(10)
    assert ours_after - ours_before >= 0.5
    assert busy_after - busy_before >= 0.5


def test_other_cpu_subtracts_our_own() -> None:
    out = other_cpu((100.0, 10.0), (130.0, 30.0), wall_s=10.0)
    assert out["cpu_s"] == 10.0  # 30 s busy, 20 s of it ours
    assert out["share"] == pytest.approx(10.0 / (10.0 * (os.cpu_count() or 1)), abs=1e-3)
    assert other_cpu((0.0, 0.0), (1.0, 2.0), 1.0)["cpu_s"] == 0.0  # never negative


def test_machine_info() -> None:
    info = machine_info()
    assert info["nproc"] == os.cpu_count()
    assert info["ram_gb"] == round(psutil.virtual_memory().total / 1024**3, 1) > 0
    assert info["cpu_model"] and info["rasa"] != "unknown"
