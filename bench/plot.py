"""results/bench_latency.png: latency CDFs (turns, NLU parse) and throughput bars."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

COLOURS = {
    "sequential": "tab:blue",
    "concurrent_10": "tab:orange",
    "concurrent_50": "tab:red",
    "paced_50": "tab:purple",
}


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
    for bot, style in (("ours", "-"), ("moodbot", "--")):
        for name, s in report["load"].get(bot, {}).items():
            _cdf(left, s["latencies_ms"], f"{bot} {name}", style, COLOURS.get(name, "tab:gray"))
        nlu = report.get("nlu", {}).get(bot)
        if nlu:
            _cdf(left, nlu["latencies_ms"], f"{bot} NLU parse", style, "tab:green")
    left.set_xscale("log")
    left.set_xlabel("latency (ms, log)")
    left.set_ylabel("fraction of messages ≤ x")
    left.set_title("Full-turn latency over the REST webhook (and NLU parse)")
    left.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=7, loc="lower right")
    names = [n for n in COLOURS if n in report["load"].get("ours", {})]
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
