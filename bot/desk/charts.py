"""Report charts: matplotlib bar charts rendered server-side to SVG, off the event loop.

Text is drawn as paths, so the browser needs no font; a CJK font is used when the
machine has one (legends such as 其他), else matplotlib's default.
"""

from __future__ import annotations

import asyncio
import functools
import io
import math
from typing import Any

COLOR = "#2f6fb0"
# Severity 1 (system down) … 3 (minor): from alarm to calm; other series: matplotlib's tab10.
SEVERITY_COLORS = {"1": "#c0392b", "2": "#e67e22", "3": "#2f6fb0"}
CACHED_CHARTS = 64
LEGEND_ONE_ROW, LEGEND_COLUMNS, LEGEND_ROW_HEIGHT = 4, 3, 0.15
MAX_X_LABELS = 12  # a month of days: every third date is labelled
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "SimHei")
# File names of CJK fonts matplotlib may not have indexed (Noto's .ttc, WenQuanYi, SimHei).
CJK_FONT_FILES = ("cjk", "wqy", "simhei")


@functools.lru_cache(maxsize=1)
def _font_family() -> list[str]:
    from matplotlib import font_manager

    manager = font_manager.fontManager
    if not any(f.name in CJK_FONTS for f in manager.ttflist):
        # matplotlib's font cache is built once: fonts installed after it (Debian's
        # fonts-noto-cjk) are missing from it, and 其他 came out as boxes.
        for path in font_manager.findSystemFonts():
            if any(mark in path.rsplit("/", 1)[-1].lower() for mark in CJK_FONT_FILES):
                manager.addfont(path)
    installed = {f.name for f in manager.ttflist}
    return [name for name in CJK_FONTS if name in installed][:1] + ["DejaVu Sans"]


def _figure() -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    matplotlib.rcParams["font.family"] = _font_family()
    figure = Figure(figsize=(5.2, 2.6), dpi=96)
    return figure, figure.add_subplot()


def _svg(figure: Any, axes: Any) -> str:
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    out = io.StringIO()
    figure.savefig(out, format="svg")
    svg = out.getvalue()
    return svg[svg.index("<svg") :]


def _label_x(axes: Any, labels: list[str]) -> None:
    """Whole-number counts up the side; at most :data:`MAX_X_LABELS` labels along."""
    from matplotlib.ticker import MaxNLocator

    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    step = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    positions = list(range(0, len(labels), step))
    axes.set_xticks(positions)
    axes.set_xticklabels([labels[i] for i in positions])
    axes.tick_params(axis="x", labelrotation=45 if len(positions) > 6 else 0)


# Drawing a chart costs 0.1-0.4 s of CPU; the same figures give the same SVG, so the
# reports page redraws only the charts whose figures changed since the last view.
@functools.lru_cache(maxsize=CACHED_CHARTS)
def _bar_svg(items: tuple[tuple[str, float], ...], horizontal: bool) -> str:
    figure, axes = _figure()
    labels, values = [k for k, _ in items], [v for _, v in items]
    # Narrow bars so one bar does not fill the chart.
    if horizontal:
        from matplotlib.ticker import MaxNLocator

        axes.barh(labels[::-1], values[::-1], color=COLOR, height=0.5)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        axes.bar(range(len(labels)), values, color=COLOR, width=0.5)
        _label_x(axes, labels)
    return _svg(figure, axes)


@functools.lru_cache(maxsize=CACHED_CHARTS)
def _stacked_svg(
    labels: tuple[str, ...], series: tuple[tuple[str, str | None, tuple[int, ...]], ...]
) -> str:
    figure, axes = _figure()
    bottom = [0] * len(labels)
    for name, color, values in series:
        axes.bar(range(len(labels)), values, bottom=bottom, width=0.7, label=name, color=color)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    _label_x(axes, list(labels))
    # The legend sits above the bars, inside the chart: up to four series on one row,
    # more on rows of three, and the y axis grows to leave them room.
    columns = len(series) if len(series) <= LEGEND_ONE_ROW else LEGEND_COLUMNS
    rows = math.ceil(len(series) / columns)
    axes.legend(fontsize="small", frameon=False, loc="upper left", ncol=columns)
    axes.set_ylim(top=max(bottom) * (1 + LEGEND_ROW_HEIGHT * (rows + 1)) + 1)
    return _svg(figure, axes)


async def bar_svg(data: dict[str, float], horizontal: bool = False) -> str:
    """An inline SVG bar chart of ``data`` (empty string when there is nothing to draw)."""
    if not data or not any(data.values()):
        return ""
    return await asyncio.to_thread(_bar_svg, tuple(data.items()), horizontal)


async def stacked_bar_svg(
    per_label: dict[str, dict[str, int]],
    legend: str = "{}",
    colors: dict[str, str] | None = None,
) -> str:
    """Bars of ``{x label: {series: n}}`` stacked by series ("" when all are zero).

    ``legend`` formats a series' name for the legend (``"S{}"`` → S1, S2 …); ``colors``
    fixes a series' colour (else matplotlib's cycle).
    """
    if not any(n for counts in per_label.values() for n in counts.values()):
        return ""
    names = list(dict.fromkeys(k for counts in per_label.values() for k in counts))
    series = tuple(
        (
            legend.format(name),
            (colors or {}).get(name),
            tuple(counts.get(name, 0) for counts in per_label.values()),
        )
        for name in names
    )
    return await asyncio.to_thread(_stacked_svg, tuple(per_label), series)
