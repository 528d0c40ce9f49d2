"""The pure map renderer: projection, clustering, escaping, and the bundled outlines."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

from campaign.geomap.boundaries import DATA_FILE, countries
from campaign.geomap.render import (
    MapLayout,
    MapPoint,
    cluster,
    countries_in_view,
    fit_view,
    render_svg,
    valid_point,
)

LONDON = MapPoint(51.5072, -0.1276, "London talk", "/events/london")
MANCHESTER = MapPoint(53.4808, -2.2426, "Manchester talk", "/events/manchester")
TORONTO = MapPoint(43.6532, -79.3832, "Toronto talk", "/events/toronto")
SAN_DIEGO = MapPoint(32.7157, -117.1611, "San Diego talk", "/events/san-diego")


def _svg(points, **kwargs):
    kwargs.setdefault("summary", "Map of events")
    kwargs.setdefault("list_anchor", "#list")
    return render_svg(points, countries(), **kwargs)


def test_every_point_lands_inside_the_frame_with_padding():
    layout = MapLayout()
    points = [LONDON, MANCHESTER, TORONTO, SAN_DIEGO]
    view, _ = fit_view(points, layout)
    for point in points:
        x, y = view.project(point.latitude, point.longitude)
        assert 0.1 * layout.width < x < 0.9 * layout.width, point
        assert 0.1 * layout.height < y < 0.9 * layout.height, point
    # West is left, north is up.
    assert view.project(0, -100)[0] < view.project(0, 0)[0]
    assert view.project(60, 0)[1] < view.project(40, 0)[1]


def test_a_single_point_is_centred_and_shown_with_land_around_it():
    layout = MapLayout()
    view, extent = fit_view([LONDON], layout)
    x, y = view.project(LONDON.latitude, LONDON.longitude)
    assert x == pytest.approx(layout.width / 2)
    assert y == pytest.approx(layout.height / 2)
    west, south, east, north = extent
    assert north - south >= layout.min_span_degrees
    assert east - west >= layout.min_span_degrees


def test_near_points_cluster_and_far_points_do_not():
    view, _ = fit_view([LONDON, MANCHESTER, TORONTO, SAN_DIEGO], MapLayout())
    groups = cluster([LONDON, TORONTO, MANCHESTER, SAN_DIEGO], view, 26)
    sizes = sorted(len(group.points) for group in groups)
    assert sizes == [1, 1, 2]
    british = next(group for group in groups if len(group.points) == 2)
    assert {p.label for p in british.points} == {"London talk", "Manchester talk"}
    # Zoomed in on Britain alone, the two are far enough apart to stand apart.
    view, _ = fit_view([LONDON, MANCHESTER], MapLayout())
    assert len(cluster([LONDON, MANCHESTER], view, 26)) == 2


def test_the_same_points_give_the_same_picture():
    assert _svg([LONDON, TORONTO]) == _svg([LONDON, TORONTO])


def test_svg_parses_with_one_link_per_marker():
    svg = ET.fromstring(_svg([LONDON, MANCHESTER, TORONTO, SAN_DIEGO]))
    assert svg.get("role") == "group"
    assert svg.get("aria-label") == "Map of events"
    links = svg.findall(".//a")
    hrefs = sorted(link.get("href") for link in links)
    assert hrefs == ["#list", "/events/san-diego", "/events/toronto"]
    cluster_link = next(link for link in links if link.get("href") == "#list")
    assert cluster_link.findtext("title") == "2 events: London talk; Manchester talk"
    assert cluster_link.findtext("text") == "2"
    for link in links:
        assert link.findtext("title"), "every marker says what it is"
        assert link.get("target") is None
    # The outlines are one backdrop path, hidden from assistive technology.
    land = svg.find("g[@class='event-map__land']")
    assert land is not None and land.get("aria-hidden") == "true"
    assert [child.tag for child in land] == ["path"]


def test_only_the_countries_around_the_events_are_drawn():
    _view, extent = fit_view([LONDON, MANCHESTER, TORONTO, SAN_DIEGO], MapLayout())
    names = {country.name for country in countries_in_view(countries(), extent)}
    assert {"United Kingdom", "Canada", "United States of America"} <= names
    assert "Australia" not in names


def test_markers_open_a_new_tab_when_asked():
    svg = ET.fromstring(_svg([LONDON], new_tab=True))
    link = svg.find(".//a")
    assert link is not None
    assert link.get("target") == "_blank"
    assert link.get("rel") == "noopener"


def test_hostile_text_is_escaped_inside_the_svg():
    nasty = MapPoint(
        51.5, -0.1, "</title><script>alert(1)</script> & \"quoted\" 'single'", '/e?a=1&b="x"'
    )
    text = _svg([nasty], summary='Map "of" <events>')
    assert "<script>" not in text
    svg = ET.fromstring(text)
    link = svg.find(".//a")
    assert link is not None
    assert link.get("href") == '/e?a=1&b="x"'
    assert link.findtext("title") == nasty.label
    assert svg.get("aria-label") == 'Map "of" <events>'


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [(90.5, 0), (-91, 0), (0, 180.1), (0, -181), (math.nan, 0), (0, math.inf)],
)
def test_points_off_the_globe_are_left_out(latitude, longitude):
    bad = MapPoint(latitude, longitude, "Bad", "/events/bad")
    assert not valid_point(bad)
    svg = ET.fromstring(_svg([bad, LONDON]))
    assert [link.get("href") for link in svg.iter("a")] == ["/events/london"]


def test_the_edges_of_the_globe_are_valid():
    for lat, lon in ((90, 180), (-90, -180), (0, 0)):
        point = MapPoint(lat, lon, "Edge", "/events/edge")
        assert valid_point(point)
        ET.fromstring(_svg([point]))


def test_bundled_outlines_are_small_and_complete():
    assert DATA_FILE.stat().st_size < 300_000
    names = {country.name for country in countries()}
    assert len(names) > 170
    assert {"United Kingdom", "Germany", "Canada", "Australia", "Brazil"} <= names
    assert (DATA_FILE.parent / "README.md").is_file()


def test_the_renderer_is_pure():
    """No Flask, database or network in the map package: a frozen spec in, SVG out."""
    package = DATA_FILE.parents[2] / "campaign" / "geomap"
    for source in package.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        for name in ("flask", "sqlalchemy", "campaign.extensions", "urllib", "requests"):
            assert f"import {name}" not in text and f"from {name}" not in text, (source, name)
