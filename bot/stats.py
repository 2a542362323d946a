"""The project's one percentile definition (NLU evaluation, benchmark, profiling).

Linear interpolation between closest ranks (``numpy.percentile``'s default), so a
p95 from ``make evaluate`` and one from ``make bench`` mean the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile of ``values``.

    Args:
        values: the sample, in any order.
        q: the percentile, 0–100; values outside are clamped to that range.

    Returns:
        The percentile, linear between closest ranks; 0.0 for an empty sample.
    """
    if len(values) == 0:
        return 0.0
    return float(np.percentile(np.asarray(values, dtype=float), min(max(q, 0.0), 100.0)))


def latency_summary(values_ms: Sequence[float]) -> dict[str, float]:
    """p50 / p95 / p99 / mean / max of latencies in milliseconds, rounded to 0.01.

    Args:
        values_ms: the latencies; an empty sample gives zeros.

    Returns:
        The five figures by name.
    """
    if len(values_ms) == 0:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "mean": 0.0, "max": 0.0}
    return {
        "p50": round(percentile(values_ms, 50), 2),
        "p95": round(percentile(values_ms, 95), 2),
        "p99": round(percentile(values_ms, 99), 2),
        "mean": round(float(np.mean(values_ms)), 2),
        "max": round(float(np.max(values_ms)), 2),
    }
