"""Benchmark PPA 智能客服 against Rasa's own moodbot.

``python -m bench.run [--with-train] [--quick] [--profile embedded|production]``
measures NLU parse latency on the held-out set, full-turn latency over the REST
webhook (real Rasa server(s) + action server + database; case intakes in sequence,
10 and 50 at once, and 50 at a customer's pace), resident memory, and optionally
``rasa train --force`` wall time; then the same load against the moodbot.
It prints a table and writes ``results/bench.json`` and ``results/bench_latency.png``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import logging
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.servers import free_port, intake_turns, make_stack

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results"
MODEL = ROOT / "models" / "ppa.tar.gz"
HELD_OUT = ROOT / "tests" / "nlu_test.yml"


@dataclass(frozen=True)
class Scenario:
    """``conversations`` case intakes at once; ``think_s`` pause after each reply."""

    name: str
    conversations: int
    think_s: float = 0.0


# Closed loop: each conversation sends its next message the moment the reply comes
# (the server's saturation point). "paced_50" is 50 customers who each take a
# second to read and answer, starting spread over that second: a hard pace for
# people typing Chinese, and the load the 50-conversation targets describe.
THINK_S = 1.0
SCENARIOS = (
    Scenario("sequential", 1),
    Scenario("concurrent_10", 10),
    Scenario("concurrent_50", 50),
    Scenario("paced_50", 50, THINK_S),
)
QUICK_SCENARIOS = SCENARIOS[:2]
QUICK_NLU_EXAMPLES = 100
NLU_WARMUP = 10
REQUEST_TIMEOUT_S = 60.0
SCENARIO_TIMEOUT_S = 240.0
SAMPLE_INTERVAL_S = 0.25
SERVER_START_TIMEOUT_S = 420.0
STOP_ROUNDS = 30
MAX_SAMPLES = int(4 * SCENARIO_TIMEOUT_S * len(SCENARIOS) / SAMPLE_INTERVAL_S)

# The e2e suite's full case intake, then accepting the suggested severity and
# confirming the summary: 13 turns, one case opened.
INTAKE_TURNS: tuple[str, ...] = (*intake_turns("张演示", "13800000001"), "好", "确认")

# Targets (reported as PASS / MISS, never asserted).
SEQ_P95_VS_MOODBOT = 1.3
SEQ_P95_MAX_MS = 150.0
C50_P95_MAX_MS = 1000.0
C50_MIN_MSGS_S = 25.0
C50_SCENARIOS = ("concurrent_50", "paced_50")
RASA_RSS_MAX_MB = 1536.0


# ---------------------------------------------------------------- statistics


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100), linear between closest ranks; 0.0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * min(max(q, 0.0), 100.0) / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def latency_summary(values_ms: Sequence[float]) -> dict[str, float]:
    """p50 / p95 / p99 / mean / max of latencies in milliseconds."""
    return {
        "p50": round(percentile(values_ms, 50), 2),
        "p95": round(percentile(values_ms, 95), 2),
        "p99": round(percentile(values_ms, 99), 2),
        "mean": round(sum(values_ms) / len(values_ms), 2) if values_ms else 0.0,
        "max": round(max(values_ms), 2) if values_ms else 0.0,
    }


def ratio(ours: float | None, theirs: float | None) -> float | None:
    """ours / theirs, or None when either is missing or theirs is zero."""
    if ours is None or theirs is None or theirs == 0:
        return None
    return round(ours / theirs, 3)


def server_for(urls: Sequence[str], conversation: int, turn: int) -> str:
    """Round robin per message, no affinity: what any HTTP load balancer may do."""
    return urls[(conversation + turn) % len(urls)]


# ---------------------------------------------------------------- load driver


@dataclass
class LoadResult:
    """What one load scenario measured."""

    conversations: int
    turns: int
    wall_s: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    senders: list[str] = field(default_factory=list)

    @property
    def messages(self) -> int:
        return self.conversations * self.turns

    def summary(self) -> dict[str, Any]:
        """The JSON form: counts, throughput, percentiles, a few error samples."""
        ok = len(self.latencies_ms)
        return {
            "conversations": self.conversations,
            "messages": self.messages,
            "errors": len(self.errors),
            "error_samples": sorted(set(self.errors))[:5],
            "wall_s": round(self.wall_s, 3),
            "throughput_msgs_s": round(ok / self.wall_s, 2) if self.wall_s > 0 else 0.0,
            **latency_summary(self.latencies_ms),
            "latencies_ms": [round(v, 1) for v in self.latencies_ms],
        }


async def send_turn(session: Any, url: str, sender: str, text: str) -> str | None:
    """POST one message; the error (non-200, exception, empty reply) or None."""
    import aiohttp

    try:
        async with session.post(url, json={"sender": sender, "message": text}) as resp:
            body = await resp.text()
            if resp.status != 200:
                return f"HTTP {resp.status}"
            if not json.loads(body):
                return "empty reply"
            return None
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"[:200]


async def converse(
    session: Any,
    urls: Sequence[str],
    index: int,
    turns: Sequence[str],
    scenario: Scenario,
    result: LoadResult,
) -> None:
    """One conversation, turn after turn, recording each turn's latency or error."""
    sender = result.senders[index]
    if scenario.think_s:  # spread the starts over one pause
        await asyncio.sleep(scenario.think_s * index / scenario.conversations)
    for turn, text in enumerate(turns):
        if turn and scenario.think_s:
            await asyncio.sleep(scenario.think_s)
        start = time.perf_counter()
        error = await send_turn(session, server_for(urls, index, turn), sender, text)
        if error is None:
            result.latencies_ms.append((time.perf_counter() - start) * 1000)
        else:
            result.errors.append(error)


async def run_load(
    urls: Sequence[str], turns: Sequence[str], scenario: Scenario, prefix: str
) -> LoadResult:
    """The scenario's conversations at once, bounded by SCENARIO_TIMEOUT_S."""
    import aiohttp

    conversations = scenario.conversations
    senders = [f"{prefix}-{i:02d}" for i in range(conversations)]
    result = LoadResult(conversations, len(turns), 0.0, senders=senders)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    connector = aiohttp.TCPConnector(limit=conversations)
    start = time.perf_counter()
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        jobs = [converse(session, urls, i, turns, scenario, result) for i in range(conversations)]
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.gather(*jobs), SCENARIO_TIMEOUT_S)
    result.wall_s = time.perf_counter() - start
    unsent = result.messages - len(result.latencies_ms) - len(result.errors)
    result.errors += ["not sent: scenario time limit"] * unsent
    return result


# ---------------------------------------------------------------- memory


def status_kb(pid: int, key: str) -> int:
    """A ``kB`` field (VmRSS, VmHWM) of /proc/<pid>/status; 0 when gone."""
    return proc_field_kb(Path(f"/proc/{pid}/status"), key)


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants (from /proc/*/stat)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = [root], [root]
    for _ in range(64):  # depth bound
        frontier = [pid for pid, ppid in parents.items() if ppid in frontier]
        if not frontier:
            break
        tree += frontier
    return tree


def tree_mb(root: int, key: str = "VmRSS") -> float:
    """Sum of ``key`` over the process tree, in MB."""
    return round(sum(status_kb(pid, key) for pid in process_tree(root)) / 1024, 1)


async def sample_peaks(pids: dict[str, int], peaks: dict[str, float], stop: asyncio.Event) -> None:
    """Record the highest tree RSS of each process until ``stop`` (bounded count)."""
    for _ in range(MAX_SAMPLES):
        for name, pid in pids.items():
            peaks[name] = max(peaks.get(name, 0.0), tree_mb(pid))
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), SAMPLE_INTERVAL_S)
        if stop.is_set():
            return


# ---------------------------------------------------------------- one bot


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
    memory = {name: {"warm_rss": tree_mb(pid)} for name, pid in pids.items()}
    peaks: dict[str, float] = {}
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_peaks(pids, peaks, stop))
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
        memory[name]["after_rss"] = tree_mb(pid)
        memory[name]["lifetime_hwm"] = tree_mb(pid, "VmHWM")
    return results, memory


def _one_line(s: dict[str, Any]) -> str:
    return (
        f"{s['messages']} msgs, {s['errors']} errors, {s['throughput_msgs_s']} msg/s, "
        f"p50 {s['p50']:.0f} / p95 {s['p95']:.0f} / p99 {s['p99']:.0f} ms"
    )


# ---------------------------------------------------------------- NLU


def held_out_texts(limit: int | None = None) -> list[str]:
    """The held-out NLU texts (tests/nlu_test.yml), optionally only the first ``limit``."""
    from rasa.shared.nlu.training_data.loading import load_data

    texts = [str(e.get("text")) for e in load_data(str(HELD_OUT)).intent_examples]
    return texts[:limit] if limit else texts


async def parse_latencies(base_url: str, texts: Sequence[str]) -> list[float]:
    """``POST /model/parse`` latency (ms) of every text, after NLU_WARMUP untimed parses.

    Through the running server (loopback HTTP adds ≈ 1 ms to both bots alike), so the
    benchmark loads each model once, in its server.
    """
    import aiohttp

    url = f"{base_url}/model/parse"
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    latencies = []
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for i, text in enumerate([*texts[:NLU_WARMUP], *texts]):
            start = time.perf_counter()
            async with session.post(url, json={"text": text}) as resp:
                resp.raise_for_status()
                await resp.read()
            if i >= NLU_WARMUP:
                latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def nlu_summary(name: str, start_s: float, latencies: Sequence[float]) -> dict[str, Any]:
    """The JSON form of one model's parse figures (and its server's start-up time)."""
    return {
        "model": name,
        "examples": len(latencies),
        "server_start_s": round(start_s, 2),
        **latency_summary(latencies),
        "latencies_ms": [round(v, 2) for v in latencies],
    }


# ---------------------------------------------------------------- cases


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


def check_cases(counts: dict[str, int], senders: Sequence[str]) -> dict[str, Any]:
    """Did every measured intake open exactly one case?"""
    return {
        "intakes": len(senders),
        "exactly_one": sum(1 for s in senders if counts.get(s, 0) == 1),
        "none": [s for s in senders if counts.get(s, 0) == 0],
        "more_than_one": [s for s in senders if counts.get(s, 0) > 1],
        "rows_total": sum(counts.values()),
    }


# ---------------------------------------------------------------- report


def machine_info() -> dict[str, Any]:
    """nproc, CPU model, RAM, Python and Rasa versions."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gb = proc_field_kb(Path("/proc/meminfo"), "MemTotal") / 1024 / 1024
    try:
        from rasa.version import __version__ as rasa_version
    except ImportError:
        rasa_version = "unknown"
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "ram_gb": round(mem_gb, 1),
        "python": platform.python_version(),
        "rasa": rasa_version,
        "platform": platform.platform(),
    }


def cpu_seconds() -> tuple[float, float]:
    """(busy CPU seconds of the whole machine, CPU seconds of this run and its children)."""
    busy = 0.0
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
        busy = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    return busy, sum(os.times()[:4]) + live_children_cpu_s()


def live_children_cpu_s() -> float:
    """CPU seconds of this process's running descendants (and what they reaped)."""
    ticks = 0
    for pid in process_tree(os.getpid())[1:]:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def other_cpu(
    start: tuple[float, float], end: tuple[float, float], wall_s: float
) -> dict[str, float]:
    """CPU that processes other than this run used meanwhile (contention check)."""
    other = max(0.0, (end[0] - start[0]) - (end[1] - start[1]))
    capacity = wall_s * (os.cpu_count() or 1)
    return {"cpu_s": round(other, 1), "share": round(other / capacity, 3) if capacity else 0.0}


def model_info(model: Path) -> dict[str, Any]:
    """The model's path, size, modification time and the git commit of the tree."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
    )
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


def proc_field_kb(path: Path, key: str) -> int:
    """A ``key: N kB`` line of a /proc file; 0 when absent."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in path.read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def compute_ratios(report: dict[str, Any]) -> dict[str, Any]:
    """ours / moodbot for every figure measured on both."""
    out: dict[str, Any] = {}
    nlu = report.get("nlu", {})
    if "ours" in nlu and "moodbot" in nlu:
        out["nlu"] = {k: ratio(nlu["ours"][k], nlu["moodbot"][k]) for k in ("p50", "p95", "p99")}
        out["nlu"]["server_start_s"] = ratio(
            nlu["ours"]["server_start_s"], nlu["moodbot"]["server_start_s"]
        )
    ours, mood = report["load"].get("ours", {}), report["load"].get("moodbot", {})
    for name in ours.keys() & mood.keys():
        keys = ("p50", "p95", "p99", "throughput_msgs_s", "errors")
        out[name] = {k: ratio(ours[name][k], mood[name][k]) for k in keys}
    mem_ours = report["memory_mb"].get("ours", {}).get("rasa")
    mem_mood = report["memory_mb"].get("moodbot", {}).get("rasa")
    if mem_ours and mem_mood:
        out["memory_rasa"] = {k: ratio(mem_ours[k], mem_mood.get(k)) for k in mem_ours}
    train = report.get("train_s") or {}
    if train.get("ours") and train.get("moodbot"):
        out["train_s"] = ratio(train["ours"], train["moodbot"])
    return out


def rasa_peak_mb(memory: dict[str, dict[str, float]]) -> float | None:
    """The highest RSS any one Rasa server process reached (None when not measured)."""
    peaks = [
        max(m["peak_load_rss"], m["warm_rss"], m["after_rss"])
        for proc, m in memory.items()
        if proc.startswith("rasa")
    ]
    return max(peaks) if peaks else None


def _target(name: str, measured: float | None, limit: str, ok: bool | None) -> dict[str, Any]:
    status = "n/a" if ok is None else ("PASS" if ok else "MISS")
    return {"target": name, "measured": measured, "limit": limit, "status": status}


def evaluate_targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's targets, each PASS / MISS (n/a when not measured)."""
    ours, mood = report["load"].get("ours", {}), report["load"].get("moodbot", {})
    seq, mseq = ours.get("sequential"), mood.get("sequential")
    out = []
    if seq and mseq:
        limit = SEQ_P95_VS_MOODBOT * mseq["p95"]
        out.append(
            _target(
                "sequential p95 vs moodbot (ms)", seq["p95"], f"≤ {limit:.1f}", seq["p95"] <= limit
            )
        )
    else:
        out.append(_target("sequential p95 vs moodbot (ms)", None, "≤ 1.3 × moodbot", None))
    out.append(
        _target(
            "sequential p95 (ms)",
            seq["p95"] if seq else None,
            f"≤ {SEQ_P95_MAX_MS:.0f}",
            seq["p95"] <= SEQ_P95_MAX_MS if seq else None,
        )
    )
    for name in sorted(ours, key=lambda n: ours[n]["conversations"]):
        theirs = mood.get(name)
        mine = ours[name]["throughput_msgs_s"]
        out.append(
            _target(
                f"{name} throughput vs moodbot (msg/s)",
                mine,
                f"≥ {theirs['throughput_msgs_s']:.1f}" if theirs else "≥ moodbot",
                mine >= theirs["throughput_msgs_s"] if theirs else None,
            )
        )
    for name in C50_SCENARIOS:
        c50 = ours.get(name)
        out.append(
            _target(
                f"{name} p95 (ms)",
                c50["p95"] if c50 else None,
                f"≤ {C50_P95_MAX_MS:.0f}",
                c50["p95"] <= C50_P95_MAX_MS if c50 else None,
            )
        )
        out.append(
            _target(
                f"{name} throughput (msg/s)",
                c50["throughput_msgs_s"] if c50 else None,
                f"≥ {C50_MIN_MSGS_S:.0f}",
                c50["throughput_msgs_s"] >= C50_MIN_MSGS_S if c50 else None,
            )
        )
    errors = sum(s["errors"] for s in ours.values()) if ours else None
    out.append(_target("errors (all scenarios)", errors, "= 0", errors == 0 if ours else None))
    peak = rasa_peak_mb(report["memory_mb"].get("ours", {}))
    out.append(
        _target(
            "Rasa server RSS, peak (MB)",
            peak,
            f"≤ {RASA_RSS_MAX_MB:.0f}",
            peak <= RASA_RSS_MAX_MB if peak is not None else None,
        )
    )
    cases = report.get("cases")
    out.append(
        _target(
            "intakes with exactly one case",
            cases["exactly_one"] if cases else None,
            f"= {cases['intakes']}" if cases else "= intakes",
            cases["exactly_one"] == cases["intakes"] if cases else None,
        )
    )
    return out


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    cells = [list(headers)] + [list(r) for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        parts = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule] + [line(r) for r in cells[1:]])


def _fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _triple(d: dict[str, Any] | None, digits: int = 1) -> str:
    if not d:
        return "—"
    return " / ".join(_fmt(d.get(k), digits) for k in ("p50", "p95", "p99"))


def result_rows(report: dict[str, Any]) -> list[list[str]]:
    """The figures table: one row per figure, ours / moodbot / ratio."""
    rows: list[list[str]] = []
    nlu, ratios = report.get("nlu", {}), report.get("ratios", {})
    if nlu:
        ours, mood = nlu.get("ours"), nlu.get("moodbot")
        rows.append(
            [
                "NLU parse p50/p95/p99 ms",
                _triple(ours),
                _triple(mood),
                _triple(ratios.get("nlu"), 2),
            ]
        )
        rows.append(
            [
                "Rasa server start s (all started together)",
                _fmt(ours and ours["server_start_s"]),
                _fmt(mood and mood["server_start_s"]),
                _fmt((ratios.get("nlu") or {}).get("server_start_s"), 2),
            ]
        )
    ours_load, mood_load = report["load"].get("ours", {}), report["load"].get("moodbot", {})
    for name in sorted(ours_load, key=lambda n: ours_load[n]["conversations"]):
        o, m, r = ours_load[name], mood_load.get(name), ratios.get(name) or {}
        rows.append([f"{name} p50/p95/p99 ms", _triple(o, 0), _triple(m, 0), _triple(r, 2)])
        rows.append(
            [
                f"{name} msg/s",
                _fmt(o["throughput_msgs_s"]),
                _fmt(m and m["throughput_msgs_s"]),
                _fmt(r.get("throughput_msgs_s"), 2),
            ]
        )
        rows.append(
            [
                f"{name} msgs / errors",
                f"{o['messages']} / {o['errors']}",
                f"{m['messages']} / {m['errors']}" if m else "—",
                "",
            ]
        )
    rows += memory_rows(report)
    train = report.get("train_s")
    if train:
        rows.append(
            [
                "rasa train --force s",
                _fmt(train.get("ours")),
                _fmt(train.get("moodbot")),
                _fmt(ratios.get("train_s"), 2),
            ]
        )
    return rows


def memory_rows(report: dict[str, Any]) -> list[list[str]]:
    """RSS rows: Rasa server (both bots) and our action server."""
    mem, ratios = report["memory_mb"], report.get("ratios", {}).get("memory_rasa") or {}
    rows = []
    labels = {"warm_rss": "after warm-up", "peak_load_rss": "peak under load"}
    for proc in mem.get("ours", {}):
        ours = mem["ours"][proc]
        mood = mem.get("moodbot", {}).get(proc)
        if not ours:
            continue
        for key, label in labels.items():
            rows.append(
                [
                    f"{proc} RSS {label} MB",
                    _fmt(ours.get(key), 0),
                    _fmt(mood.get(key), 0) if mood else "—",
                    _fmt(ratios.get(key), 2) if proc == "rasa" else "",
                ]
            )
    return rows


def render(report: dict[str, Any]) -> str:
    """The printed report: machine, figures, targets, cases."""
    m, la = report["machine"], report["load_average"]
    head = (
        f"PPA bench ({report.get('profile', 'embedded')} profile) — {m['nproc']} × "
        f"{m['cpu_model']}, {m['ram_gb']} GB RAM, Rasa {m['rasa']}; "
        f"load average {la['before'][0]:.2f} → {la['after'][0]:.2f}; "
        f"other processes used {report['other_cpu']['share']:.0%} of the CPU; "
        f"{report['duration_s']:.0f} s{' (quick)' if report.get('quick') else ''}"
    )
    figures = format_table(["figure", "ours", "moodbot", "ours/moodbot"], result_rows(report))
    targets = format_table(
        ["target", "measured", "limit", "status"],
        [
            [
                t["target"],
                "—" if t["measured"] is None else str(t["measured"]),
                t["limit"],
                t["status"],
            ]
            for t in report["targets"]
        ],
    )
    parts = [head, "", figures, "", targets]
    cases = report.get("cases")
    if cases:
        parts += [
            "",
            f"cases: {cases['exactly_one']}/{cases['intakes']} intakes opened exactly one "
            f"(none: {len(cases['none'])}, more than one: {len(cases['more_than_one'])}; "
            f"{cases['rows_total']} rows incl. warm-up)",
        ]
    return "\n".join(parts)


def plot(report: dict[str, Any], path: Path) -> None:
    """Latency CDFs (turns and NLU parse, ours vs moodbot) and throughput bars."""
    with warnings.catch_warnings():  # matplotlib's pyparsing deprecation noise
        warnings.simplefilter("ignore")
        _draw(report, path)


def _draw(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    colours = {
        "sequential": "tab:blue",
        "concurrent_10": "tab:orange",
        "concurrent_50": "tab:red",
        "paced_50": "tab:purple",
    }
    for bot, style in (("ours", "-"), ("moodbot", "--")):
        for name, s in report["load"].get(bot, {}).items():
            _cdf(left, s["latencies_ms"], f"{bot} {name}", style, colours.get(name, "tab:gray"))
        nlu = report.get("nlu", {}).get(bot)
        if nlu:
            _cdf(left, nlu["latencies_ms"], f"{bot} NLU parse", style, "tab:green")
    left.set_xscale("log")
    left.set_xlabel("latency (ms, log)")
    left.set_ylabel("fraction of messages ≤ x")
    left.set_title("Full-turn latency over the REST webhook (and NLU parse)")
    left.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=7, loc="lower right")
    names = [n for n in colours if n in report["load"].get("ours", {})]
    width = 0.38
    for offset, bot in ((-width / 2, "ours"), (width / 2, "moodbot")):
        data = report["load"].get(bot, {})
        values = [data[n]["throughput_msgs_s"] if n in data else 0 for n in names]
        right.bar([i + offset for i in range(len(names))], values, width, label=bot)
    right.set_xticks(range(len(names)), names)
    right.set_ylabel("messages / s")
    right.set_title("Throughput")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _cdf(ax: Any, values: Sequence[float], label: str, style: str, colour: str) -> None:
    if not values:
        return
    ordered = sorted(values)
    ys = [(i + 1) / len(ordered) for i in range(len(ordered))]
    ax.plot(ordered, ys, style, color=colour, label=label, linewidth=1.4)


def new_report(quick: bool, profile: str = "embedded") -> dict[str, Any]:
    """An empty report with every top-level key the JSON always has."""
    return {
        "schema": 1,
        "started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "quick": quick,
        "profile": profile,
        "duration_s": 0.0,
        "machine": machine_info(),
        "model": {},
        "load_average": {"before": list(os.getloadavg()), "after": []},
        "other_cpu": {"cpu_s": 0.0, "share": 0.0},
        "turns_per_conversation": {"ours": len(INTAKE_TURNS), "moodbot": 0},
        "nlu": {},
        "load": {},
        "memory_mb": {},
        "cases": None,
        "moodbot_init_s": None,
        "train_s": None,
        "phases": {},
        "ratios": {},
        "targets": [],
    }


def finish_report(
    report: dict[str, Any], started: float, cpu_start: tuple[float, float] | None = None
) -> dict[str, Any]:
    """Fill in the derived parts: duration, load, other processes' CPU, ratios, targets."""
    report["duration_s"] = round(time.perf_counter() - started, 1)
    report["load_average"]["after"] = list(os.getloadavg())
    if cpu_start is not None:
        report["other_cpu"] = other_cpu(cpu_start, cpu_seconds(), report["duration_s"])
    report["ratios"] = compute_ratios(report)
    report["targets"] = evaluate_targets(report)
    return report


# ---------------------------------------------------------------- orchestration


class BackgroundStart:
    """Start a Stack's action server, then its Rasa servers in parallel, in threads.

    The servers take a minute or more to load; meanwhile the main thread starts the
    moodbot's. ``ready_s`` is each Rasa server's seconds from launch to answering.
    """

    def __init__(self, stack: Any, rasa_ports: dict[str, int]) -> None:
        self.stack = stack
        self.rasa_ports = rasa_ports
        self.errors: list[BaseException] = []
        self.ready_s: dict[str, float] = {}
        self.thread = threading.Thread(target=self._run, name="stack-start", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.stack.start_actions()
            threads = [
                threading.Thread(target=self._start_rasa, args=item, daemon=True)
                for item in self.rasa_ports.items()
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        except BaseException as exc:  # handed to wait()
            self.errors.append(exc)

    def _start_rasa(self, name: str, port: int) -> None:
        try:
            start = time.perf_counter()
            self.stack.start_rasa(name, port)
            self.ready_s[name] = time.perf_counter() - start
        except BaseException as exc:  # handed to wait()
            self.errors.append(exc)

    def wait(self, timeout: float) -> None:
        """Block until every server answers; raise what a start raised."""
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise TimeoutError("the action server / Rasa servers did not start in time")
        if self.errors:
            raise RuntimeError("starting our servers failed") from self.errors[0]

    def stop(self) -> None:
        """Stop every server, also one the thread starts while we stop (bounded)."""
        for _ in range(STOP_ROUNDS):
            self.stack.stop_all()  # a stopped server makes the thread's wait_http raise
            self.thread.join(1.0)
            if not self.thread.is_alive():
                break
        self.stack.stop_all()


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


def bench_nlu(bench: Bench, servers: dict[str, tuple[str, float]]) -> None:
    """Parse latency of both models over the same held-out texts (servers idle).

    ``servers``: bot → (the Rasa server's base URL, its start-up seconds).
    """
    print(f"NLU: parsing {len(bench.texts)} held-out texts with each model …", flush=True)
    for name, (base_url, start_s) in servers.items():
        latencies = asyncio.run(parse_latencies(base_url, bench.texts))
        model = bench.model if name == "ours" else bench.mood_model
        bench.report["nlu"][name] = nlu_summary(model.name, start_s, latencies)


def bench_ours(bench: Bench, stack: Any, ports: dict[str, int]) -> None:
    """Our running stack (action server + Rasa servers, fresh database) under every scenario."""
    pids = {name: stack.procs[name].pid for name in (*ports, "actions")}
    urls = [f"http://127.0.0.1:{port}/webhooks/rest/webhook" for port in ports.values()]
    results, memory = asyncio.run(measure_bot(urls, INTAKE_TURNS, bench.scenarios, "ppa", pids))
    bench.report["load"]["ours"] = {name: r.summary() for name, r in results.items()}
    bench.report["memory_mb"]["ours"] = memory
    senders = [s for r in results.values() for s in r.senders]
    bench.report["cases"] = check_cases(case_counts(stack.db_url), senders)


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


@contextlib.contextmanager
def our_stack(bench: Bench) -> Iterator[tuple[Any, dict[str, int]]]:
    """Our stack, not yet started, and the Rasa servers to start (name → port).

    ``embedded``: one Rasa server on one SQLite file (what ``make run`` starts).
    ``production``: two Rasa servers on one PostgreSQL (tracker and support store)
    and one Redis lock store, as in deploy/ (both started here, thrown away after).
    """
    if bench.profile == "embedded":
        stack = make_stack(bench.work / "ours", bench.model)
        yield stack, {"rasa": stack.rasa_port}
        return
    from tests.pg_server import PgCluster

    pg = PgCluster().start()
    redis = start_redis(bench.work / "redis.log")
    try:
        lock = f"lock_store:\n  type: redis\n  url: 127.0.0.1\n  port: {redis[1]}\n  db: 1\n"
        stack = make_stack(bench.work / "ours", bench.model, pg.url, lock)
        yield stack, {"rasa": stack.rasa_port, "rasa2": free_port()}
    finally:
        redis[0].terminate()
        redis[0].wait(10)
        pg.stop()


def start_redis(log: Path) -> tuple[subprocess.Popen, int]:
    """A throwaway redis-server on a free loopback port (no persistence)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("the production profile needs redis-server (apt install redis-server)")
    port = free_port()
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return proc, port


def run_all(bench: Bench) -> None:
    """Start our servers and the moodbot's at once, then NLU, ours, moodbot."""
    from bench.moodbot import launch_moodbot

    print(f"starting our servers ({bench.profile}) and the moodbot's …", flush=True)
    with our_stack(bench) as (stack, ports):
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
                bench_ours(bench, stack, ports)
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
        "--profile",
        choices=("embedded", "production"),
        default=os.environ.get("BENCH_PROFILE", "embedded"),
        help="embedded: 1 Rasa server + SQLite; production: 2 Rasa servers + PostgreSQL + Redis",
    )
    args = parser.parse_args(argv)
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
        run_all(Bench(report, scenarios, texts, work, model, mood_model, args.profile))
    finish_report(report, started, cpu_start)
    write_outputs(report)
    print()
    print(render(report))
    print(f"\nwrote {RESULTS / 'bench.json'} and {RESULTS / 'bench_latency.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
