"""The benchmark's helpers: percentiles, tables, targets, JSON shape, the load driver."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest

from bench.run import (
    INTAKE_TURNS,
    LoadResult,
    Scenario,
    check_cases,
    compute_ratios,
    evaluate_targets,
    finish_report,
    format_table,
    latency_summary,
    new_report,
    other_cpu,
    percentile,
    rasa_peak_mb,
    ratio,
    render,
    run_load,
    server_for,
)


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


def test_latency_summary_and_ratio() -> None:
    s = latency_summary([10.0, 20.0, 30.0])
    assert s == {"p50": 20.0, "p95": 29.0, "p99": 29.8, "mean": 20.0, "max": 30.0}
    assert latency_summary([])["p95"] == 0.0
    assert ratio(30.0, 20.0) == 1.5
    assert ratio(1.0, 0.0) is None and ratio(None, 1.0) is None


def test_load_result_summary() -> None:
    r = LoadResult(2, 3, 2.0, latencies_ms=[100.0, 200.0, 300.0, 400.0, 500.0])
    r.errors.append("HTTP 500")
    s = r.summary()
    assert s["messages"] == 6 and s["errors"] == 1
    assert s["throughput_msgs_s"] == 2.5  # five answered in two seconds
    assert s["p50"] == 300.0 and s["error_samples"] == ["HTTP 500"]


def test_format_table_aligns_columns() -> None:
    text = format_table(["figure", "ours"], [["a", "1.0"], ["longer name", "123.4"]])
    lines = text.splitlines()
    assert lines[0].startswith("figure") and set(lines[1]) <= {"-", " "}
    assert lines[2].endswith("  1.0") and lines[3].startswith("longer name")
    assert len({len(line) for line in lines}) == 1  # every row as wide as the rule


def test_check_cases() -> None:
    counts = {"a": 1, "b": 2, "warmup": 1}
    out = check_cases(counts, ["a", "b", "c"])
    assert out["exactly_one"] == 1 and out["none"] == ["c"] and out["more_than_one"] == ["b"]
    assert out["rows_total"] == 4


def _scenario(conversations: int, p95: float, rate: float, errors: int = 0) -> dict[str, Any]:
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


def _report() -> dict[str, Any]:
    report = new_report(quick=False)
    nlu = {"server_start_s": 5.0, "p50": 10.0, "p95": 20.0, "p99": 30.0, "latencies_ms": [10.0]}
    report["nlu"] = {"ours": nlu, "moodbot": {**nlu, "p95": 10.0}}
    report["load"] = {
        "ours": {
            "sequential": _scenario(1, 120.0, 9.0),
            "concurrent_10": _scenario(10, 600.0, 20.0),
            "concurrent_50": _scenario(50, 1500.0, 20.0, errors=1),
        },
        "moodbot": {
            "sequential": _scenario(1, 100.0, 10.0),
            "concurrent_10": _scenario(10, 300.0, 15.0),
            "concurrent_50": _scenario(50, 800.0, 18.0),
        },
    }
    mem = {"warm_rss": 900.0, "peak_load_rss": 1000.0, "after_rss": 950.0, "lifetime_hwm": 1100}
    report["memory_mb"] = {
        "ours": {"rasa": mem, "actions": {**mem, "warm_rss": 150.0}},
        "moodbot": {"rasa": {k: v / 2 for k, v in mem.items()}},
    }
    report["cases"] = check_cases({"s": 1}, ["s"])
    return finish_report(report, time.perf_counter() - 1)


def test_report_json_shape() -> None:
    report = _report()
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
        "moodbot_init_s",
        "train_s",
        "phases",
        "ratios",
        "targets",
    }
    assert set(report) == expected
    assert {"nproc", "cpu_model", "ram_gb", "rasa"} <= set(report["machine"])
    assert len(report["load_average"]["after"]) == 3
    assert report["turns_per_conversation"]["ours"] == len(INTAKE_TURNS) == 13
    assert json.loads(json.dumps(report, ensure_ascii=False)) == report


def test_other_cpu_subtracts_our_own() -> None:
    out = other_cpu((100.0, 10.0), (130.0, 30.0), wall_s=10.0)
    assert out["cpu_s"] == 10.0  # 30 s busy, 20 s of it ours
    assert out["share"] == pytest.approx(10.0 / (10.0 * (os.cpu_count() or 1)), abs=1e-3)
    assert other_cpu((0.0, 0.0), (1.0, 2.0), 1.0)["cpu_s"] == 0.0  # never negative


def test_ratios() -> None:
    r = compute_ratios(_report())
    assert r["nlu"]["p95"] == 2.0 and r["sequential"]["p95"] == 1.2
    assert r["concurrent_10"]["throughput_msgs_s"] == pytest.approx(1.333)
    assert r["sequential"]["errors"] is None  # 0 / 0
    assert r["memory_rasa"]["warm_rss"] == 2.0


def test_targets_pass_and_miss() -> None:
    status = {t["target"]: t["status"] for t in _report()["targets"]}
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
    report = new_report(quick=True)
    report["load"] = {"ours": {"sequential": _scenario(1, 100.0, 10.0)}}
    status = {t["target"]: t["status"] for t in evaluate_targets(report)}
    assert status["concurrent_50 p95 (ms)"] == "n/a"
    assert status["sequential p95 vs moodbot (ms)"] == "n/a"
    assert status["sequential p95 (ms)"] == "PASS"


def test_render_has_every_section() -> None:
    text = render(_report())
    assert "NLU parse p50/p95/p99 ms" in text and "concurrent_50 msg/s" in text
    assert "rasa RSS after warm-up MB" in text and "actions RSS peak under load MB" in text
    assert "MISS" in text and "PASS" in text and "cases: 1/1" in text


def test_round_robin_spreads_each_conversation_over_every_server() -> None:
    urls = ["a", "b"]
    assert [server_for(urls, 0, t) for t in range(4)] == ["a", "b", "a", "b"]
    assert [server_for(urls, 1, t) for t in range(2)] == ["b", "a"]
    assert {server_for(["only"], c, t) for c in range(3) for t in range(3)} == {"only"}


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
    report = _report()
    report["load"]["ours"]["paced_50"] = _scenario(50, 700.0, 26.0)
    status = {t["target"]: t["status"] for t in evaluate_targets(report)}
    assert status["paced_50 p95 (ms)"] == "PASS"
    assert status["paced_50 throughput (msg/s)"] == "PASS"
    assert status["concurrent_50 p95 (ms)"] == "MISS"


async def test_run_load_paces_and_alternates_over_real_http() -> None:
    """Two real HTTP servers: every message answered, order kept, both servers used."""
    from aiohttp import web

    seen: dict[str, list[tuple[str, str]]] = {}

    def app_for(name: str) -> web.Application:
        async def webhook(request: web.Request) -> web.Response:
            body = await request.json()
            seen.setdefault(body["sender"], []).append((name, body["message"]))
            return web.json_response([{"text": "ok"}])

        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", webhook)
        return app

    runners, urls = [], []
    for name in ("one", "two"):
        runner = web.AppRunner(app_for(name))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        runners.append(runner)
        urls.append(f"http://127.0.0.1:{port}/webhooks/rest/webhook")
    try:
        turns = ["一", "二", "三"]
        start = time.perf_counter()
        result = await run_load(urls, turns, Scenario("paced_4", 4, 0.2), "t")
        wall = time.perf_counter() - start
    finally:
        for runner in runners:
            await runner.cleanup()
    assert result.errors == [] and len(result.latencies_ms) == 12
    assert sorted(seen) == result.senders
    for got in seen.values():
        assert [text for _, text in got] == turns  # order kept
        assert {server for server, _ in got} == {"one", "two"}  # no affinity
    assert wall >= 2 * 0.2  # two pauses between three turns


def test_run_rasa_runs_the_cli_and_keeps_its_output(tmp_path) -> None:
    from bench.moodbot import run_rasa

    log = tmp_path / "rasa.log"
    assert run_rasa(["--version"], tmp_path, log, timeout=300) > 0
    assert "Rasa Version" in log.read_text()
