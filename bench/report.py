"""The benchmark report: its JSON shape, the derived ratios and targets, the tables.

``new_report`` is the empty report every run fills; ``finish_report`` adds what is
derived from the measurements; ``render`` is the printed form (``tabulate`` tables).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Sequence
from typing import Any

from tabulate import tabulate

from bench.load import INTAKE_TURNS
from bench.sampling import cpu_seconds, machine_info, other_cpu
from bench.targets import evaluate_desk_targets, evaluate_targets
from bot.stats import latency_summary


def ratio(ours: float | None, theirs: float | None) -> float | None:
    """ours / theirs, or None when either is missing or theirs is zero."""
    if ours is None or theirs is None or theirs == 0:
        return None
    return round(ours / theirs, 3)


def nlu_summary(name: str, start_s: float, latencies: Sequence[float]) -> dict[str, Any]:
    """The JSON form of one model's parse figures (and its server's start-up time)."""
    return {
        "model": name,
        "examples": len(latencies),
        "server_start_s": round(start_s, 2),
        **latency_summary(latencies),
        "latencies_ms": [round(v, 2) for v in latencies],
    }


def check_cases(counts: dict[str, int], senders: Sequence[str]) -> dict[str, Any]:
    """Did every measured intake open exactly one case?"""
    return {
        "intakes": len(senders),
        "exactly_one": sum(1 for s in senders if counts.get(s, 0) == 1),
        "none": [s for s in senders if counts.get(s, 0) == 0],
        "more_than_one": [s for s in senders if counts.get(s, 0) > 1],
        "rows_total": sum(counts.values()),
    }


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
        "wechat": None,
        "moodbot_init_s": None,
        "train_s": None,
        "phases": {},
        "ratios": {},
        "desk": None,
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
    report["targets"] = evaluate_targets(report) + evaluate_desk_targets(report.get("desk"))
    return report


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


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    align = ("left", *("right",) * (len(headers) - 1))
    # The cells are already formatted ("—", "12 / 30 / 41"): tabulate must not re-read them.
    return tabulate(rows, headers, tablefmt="simple", colalign=align, disable_numparse=True)


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
    rows += wechat_rows(report.get("wechat"))
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


def wechat_rows(wechat: dict[str, Any] | None) -> list[list[str]]:
    """The WeChat scenario (ours only: the moodbot has no WeChat channel)."""
    if not wechat:
        return []
    return [
        [f"{wechat['name']} passive reply p50/p95/p99 ms", _triple(wechat, 0), "—", ""],
        [
            f"{wechat['name']} passive / late / pushed / lost / duplicated",
            f"{wechat['passive']} / {wechat['slow_passive']} / {wechat['pushed']}"
            f" / {wechat['lost']} / {wechat['duplicated']}",
            "—",
            "",
        ],
    ]


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
    if report.get("desk"):
        parts += ["", render_desk(report["desk"])]
    cases = report.get("cases")
    if cases:
        parts += [
            "",
            f"cases: {cases['exactly_one']}/{cases['intakes']} intakes opened exactly one "
            f"(none: {len(cases['none'])}, more than one: {len(cases['more_than_one'])}; "
            f"{cases['rows_total']} rows incl. warm-up)",
        ]
    return "\n".join(parts)


def render_desk(desk: dict[str, Any]) -> str:
    """The desk section as a table: p50 / p95 / max per page and per stream."""
    rows = [
        [name, f"{f['p50']:.0f}", f"{f['p95']:.0f}", f"{f['max']:.0f}"]
        for name, f in {
            **desk["pages"],
            "stream: message → agent": desk["message_to_agent"],
            "stream: request → inbox": desk["request_to_inbox"],
        }.items()
    ]
    table = format_table(["desk (ms)", "p50", "p95", "max"], rows)
    export = desk.get("transcripts_export")
    if not export:  # a report written before the export was measured
        return table
    return (
        f"{table}\ntranscripts CSV export: {export['rows']} lines, {export['mb']} MB"
        f" in {export['s']:.2f} s"
    )
