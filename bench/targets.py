"""The benchmark's targets, each PASS / MISS (n/a when not measured), never asserted."""

from __future__ import annotations

from typing import Any

SEQ_P95_VS_MOODBOT = 1.3
SEQ_P95_MAX_MS = 150.0
C50_P95_MAX_MS = 1000.0
C50_MIN_MSGS_S = 25.0
C50_SCENARIOS = ("concurrent_50", "paced_50")
RASA_RSS_MAX_MB = 1536.0
# Issue #14: 50 at once within 1.2 × the moodbot's p95 and inside WeChat's window with
# margin; memory ceilings for the Rasa server and the action server.
C50_P95_VS_MOODBOT = 1.2
C50_P95_WECHAT_MS = 4500.0
RASA_RSS_TURN_COST_MB = 1300.0
ACTIONS_RSS_MAX_MB = 150.0
# Issue #14 over the WeChat channel: replies passive within the 4.5 s budget.
WECHAT_MIN_PASSIVE_SHARE = 0.99
DESK_PAGE_P95_MAX_MS = 300.0
DESK_MESSAGE_MAX_MS = 1000.0


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


def _p95_vs_moodbot(
    scenario: str, ours: dict[str, Any], mood: dict[str, Any], factor: float
) -> dict[str, Any]:
    """Our p95 in ``scenario`` within ``factor`` × the moodbot's of the same run."""
    name = f"{scenario} p95 vs moodbot (ms)"
    mine, theirs = ours.get(scenario), mood.get(scenario)
    if not (mine and theirs):
        return _target(name, None, f"≤ {factor} × moodbot", None)
    limit = factor * theirs["p95"]
    return _target(name, mine["p95"], f"≤ {limit:.1f}", mine["p95"] <= limit)


def evaluate_targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's targets, each PASS / MISS (n/a when not measured)."""
    ours, mood = report["load"].get("ours", {}), report["load"].get("moodbot", {})
    seq = ours.get("sequential")
    out = [_p95_vs_moodbot("sequential", ours, mood, SEQ_P95_VS_MOODBOT)]
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
    out.extend(_turn_cost_targets(report, ours, mood))
    out.extend(_wechat_targets(report.get("wechat")))
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


def _turn_cost_targets(
    report: dict[str, Any], ours: dict[str, Any], mood: dict[str, Any]
) -> list[dict[str, Any]]:
    """Issue #14's latency and memory targets (ratios to the moodbot of the same run)."""
    c50 = ours.get("concurrent_50")
    out = [_p95_vs_moodbot("concurrent_50", ours, mood, C50_P95_VS_MOODBOT)]
    out.append(
        _target(
            "concurrent_50 p95, WeChat window (ms)",
            c50["p95"] if c50 else None,
            f"< {C50_P95_WECHAT_MS:.0f}",
            c50["p95"] < C50_P95_WECHAT_MS if c50 else None,
        )
    )
    peak = rasa_peak_mb(report["memory_mb"].get("ours", {}))
    out.append(
        _target(
            "Rasa server RSS, peak, #14 (MB)",
            peak,
            f"≤ {RASA_RSS_TURN_COST_MB:.0f}",
            peak <= RASA_RSS_TURN_COST_MB if peak is not None else None,
        )
    )
    actions = report["memory_mb"].get("ours", {}).get("actions")
    actions_peak = max(actions["peak_load_rss"], actions["warm_rss"]) if actions else None
    out.append(
        _target(
            "action server RSS, peak (MB)",
            actions_peak,
            f"≤ {ACTIONS_RSS_MAX_MB:.0f}",
            actions_peak <= ACTIONS_RSS_MAX_MB if actions_peak is not None else None,
        )
    )
    return out


def _wechat_targets(wechat: dict[str, Any] | None) -> list[dict[str, Any]]:
    """50 paced WeChat customers: ≥ 99 % passive in time, nothing lost or doubled."""
    name = wechat["name"] if wechat else "wechat_paced_50"
    share = wechat["passive_share"] if wechat else None
    out = [
        _target(
            f"{name} replies passive within 4.5 s (share)",
            share,
            f"≥ {WECHAT_MIN_PASSIVE_SHARE}",
            share >= WECHAT_MIN_PASSIVE_SHARE if share is not None else None,
        )
    ]
    for key, label in (
        ("lost", "replies lost"),
        ("duplicated", "replies duplicated"),
        ("tracker_mismatches", "conversations not stored exactly once"),
    ):
        value = wechat[key] if wechat else None
        out.append(_target(f"{name} {label}", value, "= 0", value == 0 if wechat else None))
    return out


def evaluate_desk_targets(desk: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The desk's targets: every page's p95 < 300 ms, a message to the agent < 1 s.

    The message target holds for the slowest trial (max), not a percentile: "visible
    to the agent < 1 s after it is sent" is a promise about every message.
    """
    if not desk:
        return [
            _target("desk page p95 (ms)", None, f"< {DESK_PAGE_P95_MAX_MS:.0f}", None),
            _target("desk message → agent, max (ms)", None, f"< {DESK_MESSAGE_MAX_MS:.0f}", None),
        ]
    out = []
    for page, figures in desk["pages"].items():
        p95, errors = figures["p95"], figures.get("errors", 0)
        out.append(
            _target(
                f"desk {page} p95 (ms)",
                p95,
                f"< {DESK_PAGE_P95_MAX_MS:.0f}, no errors",
                p95 < DESK_PAGE_P95_MAX_MS and errors == 0,
            )
        )
    slowest = desk["message_to_agent"]["max"]
    out.append(
        _target(
            "desk message → agent, max (ms)",
            slowest,
            f"< {DESK_MESSAGE_MAX_MS:.0f}",
            slowest < DESK_MESSAGE_MAX_MS,
        )
    )
    return out
