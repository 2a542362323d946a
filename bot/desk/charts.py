"""Report charts: matplotlib bar charts rendered server-side to SVG, off the event loop.

Axis labels are what the data holds (dates, severities, product names); the Chinese
titles are in the page around the chart, since the machine may have no CJK font.
"""

from __future__ import annotations

import asyncio
import functools
import io

COLOR = "#2f6fb0"
CACHED_CHARTS = 64


# Drawing a chart costs 0.1-0.4 s of CPU; the same figures give the same SVG, so the
# reports page redraws only the charts whose figures changed since the last view.
@functools.lru_cache(maxsize=CACHED_CHARTS)
def _bar_svg(items: tuple[tuple[str, float], ...], horizontal: bool) -> str:
    data = dict(items)
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(5.2, 2.6), dpi=96)
    axes = figure.add_subplot()
    labels, values = list(data), list(data.values())
    # Counts: whole-number ticks; narrow bars so one bar does not fill the chart.
    if horizontal:
        axes.barh(labels[::-1], values[::-1], color=COLOR, height=0.5)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        axes.bar(labels, values, color=COLOR, width=0.5)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.tick_params(axis="x", labelrotation=45 if len(labels) > 6 else 0)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    out = io.StringIO()
    figure.savefig(out, format="svg")
    svg = out.getvalue()
    return svg[svg.index("<svg") :]


async def bar_svg(data: dict[str, float], horizontal: bool = False) -> str:
    """An inline SVG bar chart of ``data`` (empty string when there is nothing to draw)."""
    if not data or not any(data.values()):
        return ""
    return await asyncio.to_thread(_bar_svg, tuple(data.items()), horizontal)
