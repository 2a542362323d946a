"""The benchmark's targets: PASS, MISS, n/a."""

from __future__ import annotations

from bench.report import new_report
from bench.targets import evaluate_targets, rasa_peak_mb
from tests.bench.helpers import report, scenario


def test_targets_pass_and_miss() -> None:
    status = {t["target"]: t["status"] for t in report()["targets"]}
    assert status["sequential p95 vs moodbot (ms)"] == "PASS"  # 120 ≤ 1.3 × 100
    assert status["sequential p95 (ms)"] == "PASS"
    assert status["sequential throughput vs moodbot (msg/s)"] == "MISS"
    assert status["concurrent_10 throughput vs moodbot (msg/s)"] == "PASS"
    assert status["concurrent_50 p95 (ms)"] == "MISS"
    assert status["concurrent_50 throughput (msg/s)"] == "MISS"
    assert status["errors (all scenarios)"] == "MISS"
    assert status["Rasa server RSS, peak (MB)"] == "PASS"
    assert status["intakes with exactly one case"] == "PASS"


def test_targets_not_measured_are_na() -> None:
    out = new_report(quick=True)
    out["load"] = {"ours": {"sequential": scenario(1, 100.0, 10.0)}}
    status = {t["target"]: t["status"] for t in evaluate_targets(out)}
    assert status["concurrent_50 p95 (ms)"] == "n/a"
    assert status["sequential p95 vs moodbot (ms)"] == "n/a"
    assert status["concurrent_50 p95 vs moodbot (ms)"] == "n/a"
    assert status["wechat_paced_50 replies lost"] == "n/a"
    assert status["sequential p95 (ms)"] == "PASS"


def test_rasa_peak_is_the_highest_rasa_process() -> None:
    mem = {"warm_rss": 900.0, "peak_load_rss": 1000.0, "after_rss": 950.0}
    memory = {
        "rasa": mem,
        "rasa2": {**mem, "peak_load_rss": 1400.0},
        "actions": {**mem, "warm_rss": 9e9},
    }
    assert rasa_peak_mb(memory) == 1400.0
    assert rasa_peak_mb({}) is None


def test_paced_50_targets_are_reported() -> None:
    out = report()
    out["load"]["ours"]["paced_50"] = scenario(50, 700.0, 26.0)
    status = {t["target"]: t["status"] for t in evaluate_targets(out)}
    assert status["paced_50 p95 (ms)"] == "PASS"
    assert status["paced_50 throughput (msg/s)"] == "PASS"
    assert status["concurrent_50 p95 (ms)"] == "MISS"


def test_turn_cost_targets_of_issue_14() -> None:
    out = report()
    status = {t["target"]: t["status"] for t in out["targets"]}
    assert status["concurrent_50 p95 vs moodbot (ms)"] == "MISS"  # 1500 > 1.2 × 800
    assert status["concurrent_50 p95, WeChat window (ms)"] == "PASS"  # 1500 < 4500
    assert status["Rasa server RSS, peak, #14 (MB)"] == "PASS"  # 1000 ≤ 1300
    assert status["action server RSS, peak (MB)"] == "MISS"  # 1000 > 150
    out["load"]["ours"]["concurrent_50"] = scenario(50, 900.0, 20.0)
    out["memory_mb"]["ours"]["actions"] = {
        "warm_rss": 60.0,
        "peak_load_rss": 70.0,
        "after_rss": 65.0,
    }
    status = {t["target"]: t["status"] for t in evaluate_targets(out)}
    assert status["concurrent_50 p95 vs moodbot (ms)"] == "PASS"  # 900 ≤ 960
    assert status["action server RSS, peak (MB)"] == "PASS"
