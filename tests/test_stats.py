"""The project's one percentile definition."""

from __future__ import annotations

import numpy as np
import pytest

from bot.stats import latency_summary, percentile


def test_percentile_interpolates_between_ranks() -> None:
    values = [float(v) for v in range(1, 101)]  # 1 … 100
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile(values, 0) == 1.0 and percentile(values, 100) == 100.0


def test_percentile_edge_cases() -> None:
    assert percentile([], 95) == 0.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0  # order does not matter
    assert percentile([1.0, 2.0], 150) == 2.0  # clamped
    assert percentile([1.0, 2.0], -5) == 1.0


def test_percentile_is_numpys_linear_definition() -> None:
    values = [float(v) for v in np.random.default_rng(7).lognormal(3.0, 0.5, 257)]
    for q in (50, 90, 95, 99):
        assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))
    assert isinstance(percentile(values, 95), float)  # JSON-serialisable, not numpy.float64


def test_latency_summary() -> None:
    s = latency_summary([10.0, 20.0, 30.0])
    assert s == {"p50": 20.0, "p95": 29.0, "p99": 29.8, "mean": 20.0, "max": 30.0}
    assert latency_summary([])["p95"] == 0.0
    assert all(type(v) is float for v in s.values())
