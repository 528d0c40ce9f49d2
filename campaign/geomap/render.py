"""A map of points as SVG: equirectangular projection fitted to the points, country
outlines, markers clustered by pixel distance, each marker a link. Pure: no Flask."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from campaign.geomap.boundaries import Country


@dataclass(frozen=True)
class MapLayout:
    """The numbers of the drawing, in SVG user units."""

    width: int = 640
    height: int = 400
    # Share of the points' span added on every side, and the smallest span shown (degrees),
    # so a single event still shows the land around it.
    padding: float = 0.25
    min_span_degrees: float = 6.0
    marker_radius: float = 7.0
    cluster_radius: float = 11.0
    # Markers nearer than this (pixels) are drawn as one cluster with a count.
    cluster_distance: float = 26.0
    # Outline points nearer than this (pixels) to the last one drawn are skipped; outlines
    # are drawn to the whole unit, which a 640-unit-wide map cannot show finer anyway.
    outline_step: float = 2.0


@dataclass(frozen=True)
class MapPoint:
    """One thing to place: where, its link and the words a marker's tooltip says."""

    latitude: float
    longitude: float
    label: str
    url: str


@dataclass(frozen=True)
class View:
    """The projection: lon/lat to SVG x/y for one drawing."""

    west: float
    north: float
    x_scale: float  # units per degree of longitude (already times cos of the mid latitude)
    y_scale: float  # units per degree of latitude

    def project(self, latitude: float, longitude: float) -> tuple[float, float]:
        """SVG coordinates of a place."""
        return (longitude - self.west) * self.x_scale, (self.north - latitude) * self.y_scale


@dataclass(frozen=True)
class Cluster:
    """Points drawn as one marker at (x, y)."""

    x: float
    y: float
    points: tuple[MapPoint, ...]


def valid_point(point: MapPoint) -> bool:
    """True when the coordinates are finite and on the globe."""
    lat, lon = point.latitude, point.longitude
    return math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180


def fit_view(points: Sequence[MapPoint], layout: MapLayout) -> tuple[View, tuple[float, ...]]:
    """The projection that shows every point with padding, filling the layout's frame.

    Returns the view and its extent (west, south, east, north) in degrees.
    """
    lats = [p.latitude for p in points] or [0.0]
    lons = [p.longitude for p in points] or [0.0]
    south, north = min(lats), max(lats)
    west, east = min(lons), max(lons)
    mid_lat = (south + north) / 2
    cos_lat = max(math.cos(math.radians(mid_lat)), 0.2)
    # Spans in "map degrees": longitude shrunk by cos(latitude) so shapes look right.
    span_x = max((east - west) * cos_lat, layout.min_span_degrees)
    span_y = max(north - south, layout.min_span_degrees)
    span_x *= 1 + 2 * layout.padding
    span_y *= 1 + 2 * layout.padding
    aspect = layout.width / layout.height
    if span_x / span_y < aspect:
        span_x = span_y * aspect
    else:
        span_y = span_x / aspect
    centre_x = (west + east) / 2
    centre_y = (south + north) / 2
    half_lon = span_x / cos_lat / 2
    half_lat = span_y / 2
    scale = layout.width / span_x
    view = View(
        west=centre_x - half_lon,
        north=centre_y + half_lat,
        x_scale=scale * cos_lat,
        y_scale=scale,
    )
    extent = (centre_x - half_lon, centre_y - half_lat, centre_x + half_lon, centre_y + half_lat)
    return view, extent


def cluster(points: Sequence[MapPoint], view: View, distance: float) -> list[Cluster]:
    """Group points whose markers would overlap: each joins the first cluster within
    `distance` pixels of its centre, else starts one. Same input order, same answer."""
    groups: list[tuple[float, float, list[MapPoint]]] = []
    for point in points:
        x, y = view.project(point.latitude, point.longitude)
        for gx, gy, members in groups:
            if math.hypot(x - gx, y - gy) <= distance:
                members.append(point)
                break
        else:
            groups.append((x, y, [point]))
    result = []
    for _, _, members in groups:
        # The marker sits at the members' mean position.
        xs, ys = zip(*(view.project(p.latitude, p.longitude) for p in members), strict=True)
        result.append(Cluster(sum(xs) / len(xs), sum(ys) / len(ys), tuple(members)))
    return result


def countries_in_view(countries: Sequence[Country], extent: tuple[float, ...]) -> list[Country]:
    """The countries whose bounds reach into the drawn area (west, south, east, north)."""
    west, south, east, north = extent
    return [
        country
        for country in countries
        if not (
            country.bounds[2] < west
            or country.bounds[0] > east
            or country.bounds[3] < south
            or country.bounds[1] > north
        )
    ]


# Outlines already drawn, by view: a listing drawn again (a registration, the next visitor
# after a change) mostly shows the same area. Values hold their countries, so an id in a
# key is never another sequence's.
_LAND_PATHS: dict[tuple[Any, ...], tuple[Sequence[Country], str]] = {}
_LAND_PATHS_KEPT = 32


def _land_path(
    countries: Sequence[Country], view: View, extent: tuple[float, ...], layout: MapLayout
) -> str:
    """_draw_land's path, kept for the last _LAND_PATHS_KEPT views."""
    key = (id(countries), view, extent, layout)
    kept = _LAND_PATHS.get(key)
    if kept is not None and kept[0] is countries:
        return kept[1]
    path = _draw_land(countries, view, extent, layout)
    if len(_LAND_PATHS) >= _LAND_PATHS_KEPT:
        _LAND_PATHS.pop(next(iter(_LAND_PATHS)))
    _LAND_PATHS[key] = (countries, path)
    return path


def _draw_land(
    countries: Sequence[Country], view: View, extent: tuple[float, ...], layout: MapLayout
) -> str:
    """Every country in view as one path, thinned to the pixel.

    One element rather than one per country: the outlines are a backdrop, and a phone
    styles and lays out a single path far faster than two hundred (issue 15's Lighthouse
    budget on the listing).
    """
    parts = []
    for country in countries_in_view(countries, extent):
        for ring in country.rings:
            commands: list[str] = []
            last: tuple[float, float] | None = None
            for lon, lat in ring:
                x, y = view.project(lat, lon)
                if last is not None and math.hypot(x - last[0], y - last[1]) < layout.outline_step:
                    continue
                commands.append(f"{x:.0f} {y:.0f}")
                last = (x, y)
            if len(commands) >= 3:
                parts.append("M" + "L".join(commands) + "Z")
    return f'<path d="{"".join(parts)}"/>' if parts else ""


def render_svg(
    points: Sequence[MapPoint],
    countries: Sequence[Country],
    *,
    summary: str,
    list_anchor: str,
    new_tab: bool = False,
    layout: MapLayout | None = None,
    cluster_title: str = "%(num)s events: %(names)s",
) -> str:
    """The map as an SVG element: outlines, then one linked marker per cluster.

    A single event's marker links to its page; a cluster's to `list_anchor` (the grouped
    list beside the map), its tooltip naming the events (`cluster_title`, in the page's
    language, with %(num)s and %(names)s). Points off the globe are left out.
    """
    layout = layout or MapLayout()
    placed = [p for p in points if valid_point(p)]
    view, extent = fit_view(placed, layout)
    target = ' target="_blank" rel="noopener"' if new_tab else ""
    parts = [
        f'<svg class="event-map__svg" role="group" '
        f'viewBox="0 0 {layout.width} {layout.height}" aria-label="{escape(summary)}">',
        f'<rect class="event-map__sea" width="{layout.width}" height="{layout.height}"/>',
        # The outlines are a backdrop: the markers and the list say everything they do.
        '<g class="event-map__land" aria-hidden="true">',
        _land_path(countries, view, extent, layout),
        "</g>",
        '<g class="event-map__markers">',
    ]
    for group in cluster(placed, view, layout.cluster_distance):
        x, y = f"{group.x:.1f}", f"{group.y:.1f}"
        if len(group.points) == 1:
            point = group.points[0]
            parts.append(
                f'<a href="{escape(point.url)}"{target}><title>{escape(point.label)}</title>'
                f'<circle cx="{x}" cy="{y}" r="{layout.marker_radius}"/></a>'
            )
            continue
        count = len(group.points)
        names = "; ".join(p.label for p in group.points)
        parts.append(
            f'<a href="{escape(list_anchor)}" class="event-map__cluster">'
            f"<title>{escape(cluster_title % {'num': count, 'names': names})}</title>"
            f'<circle cx="{x}" cy="{y}" r="{layout.cluster_radius}"/>'
            f'<text x="{x}" y="{y}" dy="0.35em" text-anchor="middle" aria-hidden="true">'
            f"{count}</text></a>"
        )
    parts.append("</g></svg>")
    return "".join(parts)
