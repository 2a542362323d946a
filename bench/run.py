"""Benchmark PPA 智能客服 against Rasa's own moodbot.

``python -m bench.run [--with-train] [--quick] [--profile embedded|production]``
measures NLU parse latency on the held-out set, full-turn latency over the REST
webhook (real Rasa server(s) + action server + database; case intakes in sequence,
10 and 50 at once, and 50 at a customer's pace), resident memory, and optionally
``rasa train --force`` wall time; then the same load against the moodbot; then
the service desk's pages and live streams on 10 000 cases (``bench.desk``).
It prints a table and writes ``results/bench.json`` and ``results/bench_latency.png``.

This module is the orchestration (options, phases, results/); our servers start in
``bench.servers``, the moodbot in ``bench.moodbot``; the load driver is ``bench.load``,
process sampling ``bench.sampling``, the report ``bench.report`` (targets in
``bench.targets``), the figure ``bench.plot``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.desk import DESK_QUICK_REQUESTS, DESK_REQUESTS, run_desk_bench
from bench.desk import main as desk_main
from bench.desk_seed import Plan
from bench.load import (
    INTAKE_TURNS,
    QUICK_SCENARIOS,
    SCENARIO_TIMEOUT_S,
    SCENARIOS,
    THINK_S,
    LoadResult,
    Scenario,
    parse_latencies,
    run_load,
)
from bench.plot import plot
from bench.report import check_cases, finish_report, new_report, nlu_summary, render
from bench.sampling import (
    SAMPLE_INTERVAL_S,
    cpu_seconds,
    other_cpu,
    sample_peaks,
    tree_rss_mb,
)
from bench.servers import BackgroundStart, our_stack
from bench.wechat import Pace, check_tracker, run_wechat_load
from harness.fake_platforms import FakeAPIs, FakeWeChatAPI
from harness.model import MODEL, ROOT
from harness.servers import Stack

RESULTS = ROOT / "results"
HELD_OUT = ROOT / "tests" / "nlu_test.yml"
QUICK_NLU_EXAMPLES = 100
SERVER_START_TIMEOUT_S = 420.0
# 50 customers at a person's pace over WeChat (issue #14); 5 in a quick run.
WECHAT_CONVERSATIONS = 50
WECHAT_QUICK_CONVERSATIONS = 5
MAX_SAMPLES = int(4 * SCENARIO_TIMEOUT_S * len(SCENARIOS) / SAMPLE_INTERVAL_S)


async def measure_bot(
    urls: Sequence[str],
    turns: Sequence[str],
    scenarios: Sequence[Scenario],
    prefix: str,
    pids: dict[str, int],
) -> tuple[dict[str, LoadResult], dict[str, dict[str, float]]]:
    """Warm up (every server), then every scenario; memory after warm-up and at the peak."""
    warm = await run_load(urls, turns, Scenario("warmup", len(urls)), f"{prefix}-warmup")
    if warm.errors:
        print(f"  warm-up errors: {sorted(set(warm.errors))}", flush=True)
    memory = {name: {"warm_rss": tree_rss_mb(pid)} for name, pid in pids.items()}
    peaks: dict[str, float] = {}
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_peaks(pids, peaks, stop, MAX_SAMPLES))
    results: dict[str, LoadResult] = {}
    try:
        for scenario in scenarios:
            name = scenario.name
            results[name] = await run_load(urls, turns, scenario, f"{prefix}-{name}")
            print(f"  {name}: {_one_line(results[name].summary())}", flush=True)
    finally:
        stop.set()
        await sampler
    for name, pid in pids.items():
        memory[name]["peak_load_rss"] = peaks.get(name, 0.0)
        memory[name]["after_rss"] = tree_rss_mb(pid)
    return results, memory


def _one_line(s: dict[str, Any]) -> str:
    return (
        f"{s['messages']} msgs, {s['errors']} errors, {s['throughput_msgs_s']} msg/s, "
        f"p50 {s['p50']:.0f} / p95 {s['p95']:.0f} / p99 {s['p99']:.0f} ms"
    )


def held_out_texts(limit: int | None = None) -> list[str]:
    """The held-out NLU texts (tests/nlu_test.yml), optionally only the first ``limit``."""
    from rasa.shared.nlu.training_data.loading import load_data

    texts = [str(e.get("text")) for e in load_data(str(HELD_OUT)).intent_examples]
    return texts[:limit] if limit else texts


def case_counts(db_url: str) -> dict[str, int]:
    """Rows in ppa_cases per sender."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url, future=True)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT sender_id, COUNT(*) FROM ppa_cases GROUP BY 1"))
            return {str(sender): int(n) for sender, n in rows}
    finally:
        engine.dispose()


def model_info(model: Path) -> dict[str, Any]:
    """The model's path, size, modification time and the git commit of the tree."""
    git = shutil.which("git") or "git"
    head = subprocess.run(
        [git, "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    dirty = subprocess.run([git, "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True)
    stat = model.stat()
    return {
        "path": str(model.relative_to(ROOT)),
        "size_mb": round(stat.st_size / 1e6, 1),
        "mtime": dt.datetime.fromtimestamp(stat.st_mtime, dt.timezone.utc).isoformat(
            timespec="seconds"
        ),
        "git_head": head.stdout.strip(),
        "tree_dirty": bool(dirty.stdout.strip()),
    }


@dataclass
class Bench:
    """One run: options, the report being filled, the work directory."""

    report: dict[str, Any]
    scenarios: Sequence[Scenario]
    texts: list[str]
    work: Path
    model: Path
    mood_model: Path
    profile: str = "embedded"
    quick: bool = False


def bench_nlu(bench: Bench, servers: dict[str, tuple[str, float]]) -> None:
    """Parse latency of both models over the same held-out texts (servers idle).

    ``servers``: bot → (the Rasa server's base URL, its start-up seconds).
    """
    print(f"NLU: parsing {len(bench.texts)} held-out texts with each model …", flush=True)
    for name, (base_url, start_s) in servers.items():
        latencies = asyncio.run(parse_latencies(base_url, bench.texts))
        model = bench.model if name == "ours" else bench.mood_model
        bench.report["nlu"][name] = nlu_summary(model.name, start_s, latencies)


def bench_ours(bench: Bench, stack: Stack, ports: dict[str, int], wechat: FakeWeChatAPI) -> None:
    """Our running stack (action server + Rasa servers, fresh database) under every scenario.

    Then the same paced customers over the WeChat channel (``bench.wechat``).
    """
    pids = {name: stack.procs[name].pid for name in (*ports, "actions")}
    urls = [f"http://127.0.0.1:{port}/webhooks/rest/webhook" for port in ports.values()]
    results, memory = asyncio.run(measure_bot(urls, INTAKE_TURNS, bench.scenarios, "ppa", pids))
    bench.report["load"]["ours"] = {name: r.summary() for name, r in results.items()}
    bench.report["memory_mb"]["ours"] = memory
    senders = [s for r in results.values() for s in r.senders]
    conversations = WECHAT_QUICK_CONVERSATIONS if bench.quick else WECHAT_CONVERSATIONS
    hooks = [f"http://127.0.0.1:{port}/webhooks/wechat/webhook" for port in ports.values()]
    on_wechat = asyncio.run(
        run_wechat_load(
            hooks, INTAKE_TURNS, conversations, Pace(THINK_S), wechat, "wx", SCENARIO_TIMEOUT_S
        )
    )
    check_tracker(on_wechat, stack.db_url, INTAKE_TURNS)
    bench.report["wechat"] = on_wechat.summary()
    print(f"  {on_wechat.name}: {_wechat_line(bench.report['wechat'])}", flush=True)
    senders += on_wechat.senders
    bench.report["cases"] = check_cases(case_counts(stack.db_url), senders)


def _wechat_line(s: dict[str, Any]) -> str:
    return (
        f"{s['messages']} msgs, {s['passive']} passive in time (p95 {s['p95']:.0f} ms), "
        f"{s['slow_passive']} late, {s['pushed']} pushed, {s['lost']} lost, "
        f"{s['duplicated']} duplicated, {s['tracker_mismatches']} tracker mismatches"
    )


def bench_moodbot(bench: Bench, server: Any) -> None:
    """The moodbot's running Rasa server under the same load shape."""
    from bench.moodbot import MOOD_TURNS

    pids = {"rasa": server.proc.pid}
    results, memory = asyncio.run(
        measure_bot([server.webhook], MOOD_TURNS, bench.scenarios, "mood", pids)
    )
    bench.report["load"]["moodbot"] = {name: r.summary() for name, r in results.items()}
    bench.report["memory_mb"]["moodbot"] = memory
    bench.report["turns_per_conversation"]["moodbot"] = len(MOOD_TURNS)


def run_all(bench: Bench) -> None:
    """Start our servers and the moodbot's at once, then NLU, ours, moodbot."""
    print(f"starting our servers ({bench.profile}) and the moodbot's …", flush=True)
    apis = FakeAPIs()  # the WeChat API our servers push late replies to
    try:
        _run_servers(bench, apis.wechat)
    finally:
        apis.stop()


def _run_servers(bench: Bench, wechat: FakeWeChatAPI) -> None:
    from bench.moodbot import launch_moodbot

    with our_stack(bench.profile, bench.work, bench.model, wechat.base_url) as (stack, ports):
        stack.rasa_args = ("--enable-api",)  # /model/parse for the NLU figures (loopback)
        starter = BackgroundStart(stack, ports)
        mood = None
        try:
            with phase(bench.report, "start"):
                launched = time.perf_counter()
                mood = launch_moodbot(bench.mood_model, bench.work / "moodbot.log")
                mood.wait_ready(SERVER_START_TIMEOUT_S)
                mood_s = time.perf_counter() - launched
                starter.wait(SERVER_START_TIMEOUT_S)
            with phase(bench.report, "nlu_parse"):
                ours_url = f"http://127.0.0.1:{ports['rasa']}"
                bench_nlu(
                    bench,
                    {
                        "ours": (ours_url, starter.ready_s["rasa"]),
                        "moodbot": (mood.base_url, mood_s),
                    },
                )
            print("ours: case intakes over the REST webhook …", flush=True)
            with phase(bench.report, "ours_load"):
                bench_ours(bench, stack, ports, wechat)
            starter.stop()
            print("moodbot: the same load …", flush=True)
            with phase(bench.report, "moodbot_load"):
                bench_moodbot(bench, mood)
        finally:
            starter.stop()
            if mood is not None:
                mood.stop()


def bench_train(report: dict[str, Any], work: Path) -> None:
    """``rasa train --force`` wall time for both bots (report only)."""
    from bench.moodbot import MOOD_DIR, train_seconds

    print("train: rasa train --force (ours, then moodbot) …", flush=True)
    ours = train_seconds(ROOT, work / "train-ours", work / "train-ours.log")
    mood = train_seconds(MOOD_DIR, work / "train-moodbot", work / "train-moodbot.log")
    report["train_s"] = {"ours": round(ours, 1), "moodbot": round(mood, 1)}


def write_outputs(report: dict[str, Any]) -> None:
    """results/bench.json and results/bench_latency.png."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), "utf-8")
    plot(report, RESULTS / "bench_latency.png")


def keep_logs(work: Path) -> None:
    """Copy the servers' logs to results/bench_logs/ for reading."""
    dest = RESULTS / "bench_logs"
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True, exist_ok=True)
    for log in work.rglob("*.log"):
        shutil.copy(log, dest / "-".join(log.relative_to(work).parts))


@contextlib.contextmanager
def phase(report: dict[str, Any], name: str) -> Iterator[None]:
    """Time one phase into ``report["phases"]``, with the CPU other processes took."""
    start, cpu_start = time.perf_counter(), cpu_seconds()
    try:
        yield
    finally:
        seconds = round(time.perf_counter() - start, 1)
        other = other_cpu(cpu_start, cpu_seconds(), seconds)
        report["phases"][name] = {"s": seconds, "other_cpu_share": other["share"]}
        print(f"[{name}: {seconds:.0f} s; other processes {other['share']:.0%} CPU]", flush=True)


@contextlib.contextmanager
def workdir() -> Iterator[Path]:
    """A temporary directory whose logs are kept under results/ afterwards."""
    with tempfile.TemporaryDirectory(prefix="ppa-bench-") as name:
        path = Path(name)
        try:
            yield path
        finally:
            keep_logs(path)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    """Run every benchmark, print the tables, write results/."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--with-train", action="store_true", help="also time rasa train --force")
    parser.add_argument(
        "--quick", action="store_true", help="100 NLU texts; 1 and 10 conversations only"
    )
    parser.add_argument(
        "--desk-only",
        action="store_true",
        help="only the service desk on 10 000 cases (no Rasa; same as python -m bench.desk)",
    )
    parser.add_argument(
        "--profile",
        choices=("embedded", "production"),
        default=os.environ.get("BENCH_PROFILE", "embedded"),
        help="embedded: 1 Rasa server + SQLite; production: 2 Rasa servers + PostgreSQL + Redis",
    )
    args = parser.parse_args(argv)
    if args.desk_only:
        return desk_main([])
    if not MODEL.exists():
        print(f"no model at {MODEL}: run `make train` first", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _interrupt)  # stop the servers on SIGTERM too
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow is imported
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    from bench.moodbot import ensure_moodbot

    started, cpu_start = time.perf_counter(), cpu_seconds()
    report = new_report(args.quick, args.profile)
    with workdir() as work:
        model = work / MODEL.name  # a copy: a concurrent `make train` may replace the file
        shutil.copy(MODEL, model)
        report["model"] = model_info(MODEL)
        print("moodbot: the cached model, or rasa init (which trains it) …", flush=True)
        with phase(report, "moodbot_model"):
            mood_model, report["moodbot_init_s"] = ensure_moodbot(work / "moodbot-init.log")
        if args.with_train:
            with phase(report, "train"):
                bench_train(report, work)
        texts = held_out_texts(QUICK_NLU_EXAMPLES if args.quick else None)
        scenarios = QUICK_SCENARIOS if args.quick else SCENARIOS
        run_all(Bench(report, scenarios, texts, work, model, mood_model, args.profile, args.quick))
        # After the bots' servers stopped: the desk's figures are its own.
        with phase(report, "desk"):
            report["desk"] = run_desk_bench(
                work, Plan(), DESK_QUICK_REQUESTS if args.quick else DESK_REQUESTS
            )
    finish_report(report, started, cpu_start)
    write_outputs(report)
    print()
    print(render(report))
    print(f"\nwrote {RESULTS / 'bench.json'} and {RESULTS / 'bench_latency.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
