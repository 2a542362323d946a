"""The benchmark report: JSON shape, ratios, tables, the printed form."""

from __future__ import annotations

import json

import pytest

from bench.load import INTAKE_TURNS
from bench.report import check_cases, compute_ratios, format_table, ratio, render
from tests.bench.helpers import report


def test_ratio() -> None:
    assert ratio(30.0, 20.0) == 1.5
    assert ratio(1.0, 0.0) is None and ratio(None, 1.0) is None


def test_format_table_aligns_columns() -> None:
    text = format_table(["figure", "ours"], [["a", "1.0"], ["longer name", "123.4"]])
    lines = text.splitlines()
    assert lines[0].startswith("figure") and set(lines[1]) <= {"-", " "}
    assert lines[2].endswith("  1.0") and lines[3].startswith("longer name")
    assert len({len(line) for line in lines}) == 1  # every row as wide as the rule


def test_format_table_keeps_cells_as_written() -> None:
    text = format_table(["figure", "ours"], [["x", "1.50"], ["y", "—"], ["z", "12 / 30"]])
    assert "1.50" in text and "—" in text and "12 / 30" in text


def test_check_cases() -> None:
    counts = {"a": 1, "b": 2, "warmup": 1}
    out = check_cases(counts, ["a", "b", "c"])
    assert out["exactly_one"] == 1 and out["none"] == ["c"] and out["more_than_one"] == ["b"]
    assert out["rows_total"] == 4


def test_report_json_shape() -> None:
    out = report()
    expected = {
        "schema",
        "started_at",
        "quick",
        "profile",
        "duration_s",
        "machine",
        "model",
        "load_average",
        "other_cpu",
        "turns_per_conversation",
        "nlu",
        "load",
        "memory_mb",
        "cases",
        "wechat",
        "moodbot_init_s",
        "train_s",
        "phases",
        "ratios",
        "desk",
        "targets",
    }
    assert set(out) == expected
    assert {"nproc", "cpu_model", "ram_gb", "rasa"} <= set(out["machine"])
    assert len(out["load_average"]["after"]) == 3
    assert out["turns_per_conversation"]["ours"] == len(INTAKE_TURNS) == 13
    assert json.loads(json.dumps(out, ensure_ascii=False)) == out


def test_ratios() -> None:
    r = compute_ratios(report())
    assert r["nlu"]["p95"] == 2.0 and r["sequential"]["p95"] == 1.2
    assert r["concurrent_10"]["throughput_msgs_s"] == pytest.approx(1.333)
    assert r["sequential"]["errors"] is None  # 0 / 0
    assert r["memory_rasa"]["warm_rss"] == 2.0


def test_render_has_every_section() -> None:
    text = render(report())
    assert "NLU parse p50/p95/p99 ms" in text and "concurrent_50 msg/s" in text
    assert "rasa RSS after warm-up MB" in text and "actions RSS peak under load MB" in text
    assert "MISS" in text and "PASS" in text and "cases: 1/1" in text
