"""A small server-rendered SVG bar chart (no JavaScript, no CDN)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape


@dataclass(frozen=True)
class ChartLayout:
    width: int = 720
    height: int = 220
    left: int = 36
    bottom: int = 28
    top: int = 12
    bar_gap: int = 2


def bar_chart(
    points: list[tuple[date, int]], title: str, layout: ChartLayout = ChartLayout()
) -> Markup:
    """An accessible SVG: a title, a description listing the figures, bars with tooltips."""
    peak = max((n for _, n in points), default=0)
    scale_max = max(peak, 1)
    plot_w = layout.width - layout.left - 8
    plot_h = layout.height - layout.top - layout.bottom
    bar_w = plot_w / max(len(points), 1)
    total = sum(n for _, n in points)
    desc = f"{total} in {len(points)} days; the busiest day had {peak}."
    parts = [
        f'<svg class="chart" viewBox="0 0 {layout.width} {layout.height}" role="img" '
        f'aria-labelledby="chart-title chart-desc" preserveAspectRatio="xMidYMid meet">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(desc)}</desc>',
    ]
    for fraction in (0, 0.5, 1):
        y = layout.top + plot_h * (1 - fraction)
        label = round(scale_max * fraction)
        parts.append(
            f'<line x1="{layout.left}" x2="{layout.width - 8}" y1="{y:.1f}" y2="{y:.1f}" '
            'class="chart__grid"/>'
            f'<text x="{layout.left - 6}" y="{y + 4:.1f}" class="chart__axis" '
            f'text-anchor="end">{label}</text>'
        )
    for i, (day, n) in enumerate(points):
        h = plot_h * n / scale_max
        x = layout.left + i * bar_w
        y = layout.top + plot_h - h
        parts.append(
            f'<rect x="{x + layout.bar_gap / 2:.1f}" y="{y:.1f}" '
            f'width="{max(bar_w - layout.bar_gap, 1):.1f}" height="{h:.1f}" class="chart__bar">'
            f"<title>{day:%d %b}: {n}</title></rect>"
        )
        if i % 7 == 0 or i == len(points) - 1:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{layout.height - 8}" class="chart__axis" '
                f'text-anchor="middle">{day:%d %b}</text>'
            )
    parts.append("</svg>")
    svg = "".join(parts)
    # Every interpolated value above is a number, a date or passed through escape().
    return Markup(svg)  # noqa: S704  # nosec B704  # numbers and escaped text only
