"""Issue 15, point 9: the dashboard on a phone. Every figure in a stacked row carries its
label, and the chart's day labels never overlap, at the phone's larger axis font too."""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta

import pytest

from campaign.core.timeutil import utcnow
from campaign.dashboard.chart import ChartLayout, bar_chart, day_label_indexes
from campaign.extensions import db
from campaign.signups import services


def _labels(svg: str) -> list[tuple[float, str]]:
    return [
        (float(x), text)
        for x, text in re.findall(
            r'<text x="([\d.]+)" y="[\d.]+" class="chart__axis" '
            r'text-anchor="middle">([^<]+)</text>',
            svg,
        )
    ]


@pytest.mark.parametrize("days", [1, 2, 7, 8, 14, 29, 30, 31, 90, 365])
def test_day_labels_fit_side_by_side_and_today_is_labelled(days):
    layout = ChartLayout()
    start = date(2030, 1, 1)
    points = [(start + timedelta(days=i), i % 5) for i in range(days)]
    labels = _labels(str(bar_chart(points, "Per day", layout)))
    assert labels, "at least one day is labelled"
    assert labels[-1][1] == f"{points[-1][0]:%d %b}", "the last day (today) is labelled"
    widest = layout.axis_font * layout.glyph_width * 6
    for (x1, _), (x2, _) in itertools.pairwise(labels):
        assert x2 - x1 >= widest, (x1, x2)
    for x, _ in labels:
        assert widest / 2 - 0.1 <= x <= layout.width - widest / 2 + 0.1, x


def test_the_old_overlap_is_gone():
    """30 days labelled every 7th and the last gave "04 Dec05 Dec" side by side."""
    assert day_label_indexes(30, 22.5) == [1, 8, 15, 22, 29]
    assert day_label_indexes(0, 10) == []


def test_every_stacked_figure_has_a_label(app, client, login_as, make_organizer, make_event):
    owner = make_organizer()
    event = make_event(owner, capacity=25)
    services.register(
        event.id, services.SignupInput("Ann Lee", "ann@example.org"), utcnow(), "k" * 32
    )
    db.session.commit()
    login_as(owner)
    page = client.get("/manage/").get_data(as_text=True)
    row = re.search(rf"<tr>\s*<td><a [^>]*>{event.title}</a>.*?</tr>", page, re.S)
    assert row, "no row for the event"
    cells = re.findall(r"<td( data-label=\"[^\"]+\")?>", row.group(0))
    assert cells[0] == "", "the event's title is the row's heading"
    assert all(cells[1:]) and len(cells) == 6, cells
    assert 'data-label="Confirmed">1 of 25</td>' in row.group(0)


def _count_lines(svg: str) -> list[tuple[float, float, int]]:
    """(y of the line, y of its label's middle, the label) of each count line."""
    lines = [float(y) for y in re.findall(r'<line [^>]*y1="([\d.]+)"', svg)]
    labels = re.findall(
        r'<text x="[\d.]+" y="([\d.]+)" class="chart__axis" text-anchor="end" '
        r'dominant-baseline="central">(\d+)</text>',
        svg,
    )
    assert len(lines) == len(labels) == 3, svg
    return [(y, float(base), int(text)) for y, (base, text) in zip(lines, labels, strict=True)]


@pytest.mark.parametrize("peak", [0, 1, 2, 3, 5, 7, 11, 41, 99, 1234])
def test_each_count_line_is_labelled_with_the_count_it_stands_at(peak):
    layout = ChartLayout()
    points = [(date(2030, 1, 1), 0), (date(2030, 1, 2), peak)]
    svg = str(bar_chart(points, "Per day", layout))
    lines = _count_lines(svg)
    plot_h = layout.height - layout.top - layout.bottom
    top_count = lines[-1][2]
    assert top_count >= peak
    for y, _, count in lines:
        # The count the line is drawn at, from its height, is the one its label says.
        assert count == pytest.approx(top_count * (layout.top + plot_h - y) / plot_h)
    assert len({count for _, _, count in lines}) == 3, lines
    tallest = float(re.findall(r'<rect [^>]*height="([\d.]+)"', svg)[-1])
    assert tallest == pytest.approx(plot_h * peak / top_count, abs=0.1)


def test_count_labels_stay_inside_the_chart_and_above_the_day_labels():
    """At the phone's axis font: the top label was clipped by the chart's edge and the 0
    touched the day labels. Each label is centred on its line (dominant-baseline)."""
    layout = ChartLayout()
    lines = _count_lines(str(bar_chart([(date(2030, 1, 1), 1)], "Per day", layout)))
    digit_height = layout.axis_font * 0.75  # a digit's height, generously
    for y, middle, _ in lines:
        assert middle == y
    assert lines[-1][1] - digit_height / 2 >= 0, "the highest label is cut off at the top"
    day_labels_top = layout.height - 8 - digit_height
    assert lines[0][1] + digit_height / 2 <= day_labels_top - 2, "the 0 touches the day labels"
