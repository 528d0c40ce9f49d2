"""Where the listed events are: the SVG map and the grouped-by-region list beside it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from functools import lru_cache

from flask_babel import gettext, ngettext
from markupsafe import Markup

from campaign.events.models import Event, PlaceFormat
from campaign.events.public import ListingFilters, public_events_query
from campaign.extensions import db
from campaign.geomap.boundaries import countries
from campaign.geomap.gazetteer import PRECISION_CITY, PRECISION_COUNTRY, gazetteer
from campaign.geomap.render import MapPoint, render_svg
from campaign.i18n.display import PlaceWords, event_place, event_starts
from campaign.i18n.markers import N_
from campaign.i18n.web import current_locale

# The most events a map and its list show (the soonest first).
MAP_LIMIT = 200
LIST_ANCHOR = "#event-map-list"
ONLINE_GROUP = N_("Online")
NO_PLACE_GROUP = N_("Place not given")
# How an event's position was found: set by its organizer or host, else from the bundled
# gazetteer by its city, else at the centre of its country.
PRECISION_EXACT = "exact"
PRECISIONS = (PRECISION_EXACT, PRECISION_CITY, PRECISION_COUNTRY)


@dataclass(frozen=True)
class Position:
    """Where an event is drawn, how precisely, and (for a gazetteer's guess) what place
    it stands for."""

    latitude: float
    longitude: float
    precision: str
    place: str = ""

    @property
    def note(self) -> str:
        """What a marker's tooltip adds for a position that is not the organizer's own."""
        if self.precision == PRECISION_CITY:
            return " " + gettext("(the map shows %(place)s, not the venue)", place=self.place)
        if self.precision == PRECISION_COUNTRY:
            return " " + gettext(
                "(the map shows the middle of %(place)s, not the venue)", place=self.place
            )
        return ""


@dataclass(frozen=True)
class MapEvent(PlaceFormat):
    """What the map and its list show of an event, read as plain columns (up to MAP_LIMIT
    rows on every drawing of the listing: ORM objects cost several times as much)."""

    slug: str
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    format: str
    venue: str
    city: str
    region: str
    country: str
    latitude: float | None
    longitude: float | None


MAP_COLUMNS = tuple(getattr(Event, field.name) for field in fields(MapEvent))
Placed = Event | MapEvent  # what region_name and event_position read an event's place from


@dataclass(frozen=True)
class MapEntry:
    """One event in the grouped list, with its texts as the list and the marker's tooltip
    write them (worked out once each: the list holds up to MAP_LIMIT events)."""

    event: MapEvent
    position: Position | None
    url: str
    when: str
    place: str
    list_note: str  # after the place: "(not on the map)", where a country's middle stands in


@dataclass(frozen=True)
class EventMap:
    """The drawing (None when no event has coordinates) and the list by region."""

    svg: Markup | None
    groups: list[tuple[str, list[MapEntry]]]
    placed: int


def group_headings() -> tuple[str, str]:
    """The online and no-place headings of the grouped list, in the locale being rendered."""
    return gettext(ONLINE_GROUP), gettext(NO_PLACE_GROUP)


def region_name(event: Placed, headings: tuple[str, str]) -> str:
    """The heading an event is listed under: its region, else country, else city; for an
    online event or one with no place, one of `headings` (group_headings(), translated
    once per list)."""
    online, no_place = headings
    if event.is_online:
        return online
    return event.region or event.country or event.city or no_place


def event_position(event: Placed) -> Position | None:
    """Where an event with a venue is: its own coordinates, else its city or country in
    the bundled gazetteer; None for an online event or a place the gazetteer lacks."""
    if not event.has_venue:
        return None
    if event.latitude is not None and event.longitude is not None:
        return Position(float(event.latitude), float(event.longitude), PRECISION_EXACT)
    return _gazetteer_position(event.city, event.country)


@lru_cache(maxsize=4096)
def _gazetteer_position(city: str, country: str) -> Position | None:
    """The bundled gazetteer's guess for a city and country (many events share one)."""
    found = gazetteer().locate(city, country)
    if found is None:
        return None
    return Position(found.latitude, found.longitude, found.precision, found.name)


def _list_note(event: Placed, position: Position | None) -> str:
    """What the grouped list adds after an event's place about where its marker is."""
    if event.has_venue and position is None:
        return gettext("(not on the map)")
    if position is not None and position.precision == PRECISION_COUNTRY:
        return gettext("(on the map at the middle of %(place)s)", place=position.place)
    return ""


def map_events(campaign_id: int, now: datetime, filters: ListingFilters) -> list[MapEvent]:
    """Every event the listing's filters match (every page, soonest first, up to a limit),
    with the columns the map and its list show (not the descriptions and settings: up to
    MAP_LIMIT rows on every drawing of the listing)."""
    query = public_events_query(campaign_id, now, filters).limit(MAP_LIMIT)
    return [MapEvent(*row) for row in db.session.execute(query.with_only_columns(*MAP_COLUMNS))]


def build_map(
    events: Sequence[MapEvent], event_url: Callable[[str], str], *, new_tab: bool = False
) -> EventMap:
    """The map of the events that have a place on it, and every event grouped by region."""
    points: list[MapPoint] = []
    groups: dict[str, list[MapEntry]] = {}
    # Texts that depend on a position or a place and not on the event, translated once
    # per drawing (many events share a city or a country's middle).
    notes: dict[tuple[bool, Position | None], tuple[str, str]] = {}
    locale = current_locale()
    words = PlaceWords()
    headings = group_headings()
    for event in events:
        position = event_position(event)
        note_key = (event.has_venue, position)
        if note_key not in notes:
            notes[note_key] = (position.note if position else "", _list_note(event, position))
        marker_note, list_note = notes[note_key]
        entry = MapEntry(
            event,
            position,
            event_url(event.slug),
            event_starts(event, locale),
            event_place(event, words),
            list_note,
        )
        groups.setdefault(region_name(event, headings), []).append(entry)
        if position is not None:
            label = f"{event.title}, {entry.when}, {entry.place}"
            points.append(
                MapPoint(
                    latitude=position.latitude,
                    longitude=position.longitude,
                    label=label + marker_note,
                    url=entry.url,
                )
            )
    # Regions in alphabetical order, then the events with no place, then the online ones.
    online, no_place = headings
    last = (no_place, online)
    ordered = sorted(
        groups.items(),
        key=lambda item: (last.index(item[0]) + 1 if item[0] in last else 0, item[0].casefold()),
    )
    svg = None
    if points:
        places = len(points)
        summary = ngettext(
            "Map of %(num)s event with a place; the list by region below names the same events.",
            "Map of %(num)s events with a place; the list by region below names the same events.",
            places,
        )
        drawing = render_svg(
            points,
            countries(),
            summary=summary,
            list_anchor=LIST_ANCHOR,
            new_tab=new_tab,
            cluster_title=gettext("%(num)s events: %(names)s"),
        )
        svg = Markup(drawing)  # noqa: S704  # nosec B704  # numbers and escaped text only
    return EventMap(svg=svg, groups=ordered, placed=len(points))
