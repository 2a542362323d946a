"""A filled-in benchmark report for the report and target tests."""

from __future__ import annotations

import time
from typing import Any

from bench.report import check_cases, finish_report, new_report


def scenario(conversations: int, p95: float, rate: float, errors: int = 0) -> dict[str, Any]:
    """One scenario's summary as ``LoadResult.summary`` writes it."""
    return {
        "conversations": conversations,
        "messages": 13 * conversations,
        "errors": errors,
        "error_samples": [],
        "wall_s": 1.0,
        "throughput_msgs_s": rate,
        "p50": p95 / 2,
        "p95": p95,
        "p99": p95 * 1.1,
        "mean": p95 / 2,
        "max": p95 * 1.2,
        "latencies_ms": [p95 / 2, p95],
    }


def report() -> dict[str, Any]:
    """A finished report: ours and the moodbot, three scenarios, memory, one case."""
    out = new_report(quick=False)
    nlu = {"server_start_s": 5.0, "p50": 10.0, "p95": 20.0, "p99": 30.0, "latencies_ms": [10.0]}
    out["nlu"] = {"ours": nlu, "moodbot": {**nlu, "p95": 10.0}}
    out["load"] = {
        "ours": {
            "sequential": scenario(1, 120.0, 9.0),
            "concurrent_10": scenario(10, 600.0, 20.0),
            "concurrent_50": scenario(50, 1500.0, 20.0, errors=1),
        },
        "moodbot": {
            "sequential": scenario(1, 100.0, 10.0),
            "concurrent_10": scenario(10, 300.0, 15.0),
            "concurrent_50": scenario(50, 800.0, 18.0),
        },
    }
    mem = {"warm_rss": 900.0, "peak_load_rss": 1000.0, "after_rss": 950.0}
    out["memory_mb"] = {
        "ours": {"rasa": mem, "actions": {**mem, "warm_rss": 150.0}},
        "moodbot": {"rasa": {k: v / 2 for k, v in mem.items()}},
    }
    out["cases"] = check_cases({"s": 1}, ["s"])
    return finish_report(out, time.perf_counter() - 1)
