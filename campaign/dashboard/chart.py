"""A small server-rendered SVG bar chart (no JavaScript, no CDN)."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext
from markupsafe import Markup, escape


@dataclass(frozen=True)
class ChartLayout:
    width: int = 720
    height: int = 220
    left: int = 60  # room for a four-digit count at the phone's axis font
    bottom: int = 36  # the day labels, below the lowest count's label
    top: int = 18  # the highest count's label, centred on its line, stays inside
    bar_gap: int = 2
    # The largest axis font the stylesheet uses (on phones), in chart units, and the
    # average glyph width as a share of it: day labels are spaced for that size.
    axis_font: int = 22
    glyph_width: float = 0.62
    label_gap: int = 12
    min_label_step: int = 7  # at most one day label a week


def count_step(peak: int) -> int:
    """The count between two lines of the chart (three lines: 0, step, 2 x step): the
    smallest of 1, 2, 5, 10, 20, 50, ... with 2 x step at least the peak, so every line
    is a round whole number of registrations (a middle line at half an odd peak was
    labelled with the rounded count, e.g. 0 for 0.5)."""
    step, factors = 1, itertools.cycle((2, 2.5, 2))  # 1 -> 2 -> 5 -> 10 -> 20 -> 50 ...
    while 2 * step < peak:
        step = int(step * next(factors))
    return step


def day_label_indexes(
    count: int, bar_width: float, layout: ChartLayout = ChartLayout()
) -> list[int]:
    """Which bars get a day label: counted back from the last (today), as many as fit
    side by side at the largest font without overlapping, at most one a week."""
    if count <= 0:
        return []
    label_width = layout.axis_font * layout.glyph_width * 6 + layout.label_gap  # "04 Dec"
    step = max(layout.min_label_step, math.ceil(label_width / max(bar_width, 0.1)))
    return sorted(range(count - 1, -1, -step))


def _label_positions(count: int, bar_w: float, layout: ChartLayout) -> dict[int, float]:
    """Bar index -> x of its day label, centred under the bar but kept inside the chart;
    a label that would then crowd the one after it is left out."""
    width = layout.axis_font * layout.glyph_width * 6
    kept: dict[int, float] = {}
    last_x = math.inf
    for i in reversed(day_label_indexes(count, bar_w, layout)):
        centre = layout.left + i * bar_w + bar_w / 2
        x = min(max(centre, width / 2), layout.width - width / 2)
        if last_x - x >= width:
            kept[i] = x
            last_x = x
    return kept


def bar_chart(
    points: list[tuple[date, int]], title: str, layout: ChartLayout = ChartLayout()
) -> Markup:
    """An accessible SVG: a title, a description listing the figures, bars with tooltips."""
    peak = max((n for _, n in points), default=0)
    step = count_step(peak)
    scale_max = 2 * step
    plot_w = layout.width - layout.left - 8
    plot_h = layout.height - layout.top - layout.bottom
    bar_w = plot_w / max(len(points), 1)
    total = sum(n for _, n in points)
    desc = gettext(
        "%(total)s in %(days)s days; the busiest day had %(peak)s.",
        total=total,
        days=len(points),
        peak=peak,
    )
    parts = [
        f'<svg class="chart" viewBox="0 0 {layout.width} {layout.height}" role="img" '
        f'aria-labelledby="chart-title chart-desc" preserveAspectRatio="xMidYMid meet">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(desc)}</desc>',
    ]
    for lines in range(3):
        y = layout.top + plot_h * (1 - lines / 2)
        parts.append(
            f'<line x1="{layout.left}" x2="{layout.width - 8}" y1="{y:.1f}" y2="{y:.1f}" '
            'class="chart__grid"/>'
            f'<text x="{layout.left - 6}" y="{y:.1f}" class="chart__axis" '
            f'text-anchor="end" dominant-baseline="central">{lines * step}</text>'
        )
    labels = _label_positions(len(points), bar_w, layout)
    for i, (day, n) in enumerate(points):
        h = plot_h * n / scale_max
        x = layout.left + i * bar_w
        y = layout.top + plot_h - h
        parts.append(
            f'<rect x="{x + layout.bar_gap / 2:.1f}" y="{y:.1f}" '
            f'width="{max(bar_w - layout.bar_gap, 1):.1f}" height="{h:.1f}" class="chart__bar">'
            f"<title>{day:%d %b}: {n}</title></rect>"
        )
        if i in labels:
            parts.append(
                f'<text x="{labels[i]:.1f}" y="{layout.height - 8}" class="chart__axis" '
                f'text-anchor="middle">{day:%d %b}</text>'
            )
    parts.append("</svg>")
    svg = "".join(parts)
    # Every interpolated value above is a number, a date or passed through escape().
    return Markup(svg)  # noqa: S704  # nosec B704  # numbers and escaped text only
