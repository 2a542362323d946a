"""Process and machine sampling with psutil: memory of server trees, CPU, the machine.

A server is the process we started plus its descendants (``rasa run`` may fork), so
memory is summed over the tree. CPU figures tell a contended run apart: what the
whole machine was busy with minus what this run and its servers used.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
from pathlib import Path
from typing import Any

import psutil

SAMPLE_INTERVAL_S = 0.25
MB = 1024 * 1024


def process_tree(root: int) -> list[psutil.Process]:
    """``root`` and all its descendants; empty when ``root`` is gone."""
    try:
        process = psutil.Process(root)
        return [process, *process.children(recursive=True)]
    except psutil.Error:
        return []


def tree_rss_mb(root: int) -> float:
    """Resident memory summed over the process tree, in MB (0.0 when gone)."""
    total = 0
    for process in process_tree(root):
        with contextlib.suppress(psutil.Error):  # a child may exit meanwhile
            total += process.memory_info().rss
    return round(total / MB, 1)


async def sample_peaks(
    pids: dict[str, int], peaks: dict[str, float], stop: asyncio.Event, max_samples: int
) -> None:
    """Record the highest tree RSS of each process until ``stop`` (at most ``max_samples``)."""
    for _ in range(max_samples):
        for name, pid in pids.items():
            peaks[name] = max(peaks.get(name, 0.0), tree_rss_mb(pid))
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), SAMPLE_INTERVAL_S)
        if stop.is_set():
            return


def cpu_seconds() -> tuple[float, float]:
    """(busy CPU seconds of the whole machine, CPU seconds of this run and its children)."""
    t = psutil.cpu_times()
    busy = t.user + t.nice + t.system + t.irq + t.softirq + t.steal
    return busy, _tree_cpu_s(os.getpid())


def _tree_cpu_s(root: int) -> float:
    """CPU seconds of a running process tree, each with what it reaped."""
    total = 0.0
    for process in process_tree(root):
        with contextlib.suppress(psutil.Error):
            t = process.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
    return total


def other_cpu(
    start: tuple[float, float], end: tuple[float, float], wall_s: float
) -> dict[str, float]:
    """CPU that processes other than this run used meanwhile (contention check)."""
    other = max(0.0, (end[0] - start[0]) - (end[1] - start[1]))
    capacity = wall_s * (os.cpu_count() or 1)
    return {"cpu_s": round(other, 1), "share": round(other / capacity, 3) if capacity else 0.0}


def cpu_model() -> str:
    """The CPU's model name ("unknown" when the kernel does not say)."""
    # psutil has no CPU model name; /proc/cpuinfo is where Linux gives it.
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def machine_info() -> dict[str, Any]:
    """nproc, CPU model, RAM, Python and Rasa versions."""
    try:
        from rasa.version import __version__ as rasa_version
    except ImportError:
        rasa_version = "unknown"
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model(),
        "ram_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "python": platform.python_version(),
        "rasa": rasa_version,
        "platform": platform.platform(),
    }
