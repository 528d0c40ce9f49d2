"""GEO (RFC 5545 3.8.1.6) in calendar files: the venue's coordinates when its organizer or
host gave them, read back the same by the four parsers of test_calendar_parsers (icalendar,
vobject, ics, recurring-ical-events), in the per-event file, the feed and the mailed file;
written with six fixed decimals (never an exponent); absent for an online event, an event
without coordinates (the map's guess from a city is not a venue) and a row out of range."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import ics
import pytest
import recurring_ical_events
import vobject
from icalendar import Calendar

from campaign.core.timeutil import utcnow
from campaign.events.models import Event
from campaign.extensions import db
from tests.signups.conftest import delivered
from tests.signups.test_calendar_parsers import _uid_id

Geo = tuple[float, float]


def geo_icalendar(data: bytes) -> dict[int, Geo]:
    cal = Calendar.from_ical(data)
    return {
        _uid_id(v["UID"]): (v["GEO"].latitude, v["GEO"].longitude)
        for v in cal.walk("VEVENT")
        if "GEO" in v
    }


def geo_vobject(data: bytes) -> dict[int, Geo]:
    found = {}
    for v in vobject.readOne(data.decode()).contents.get("vevent", []):
        if "geo" in v.contents:
            latitude, longitude = v.geo.value.split(";")
            found[_uid_id(v.uid.value)] = (float(latitude), float(longitude))
    return found


def geo_ics(data: bytes) -> dict[int, Geo]:
    events = ics.Calendar(data.decode()).events
    return {_uid_id(e.uid): (e.geo.latitude, e.geo.longitude) for e in events if e.geo}


def geo_recurring(data: bytes) -> dict[int, Geo]:
    cal = Calendar.from_ical(data)
    found = recurring_ical_events.of(cal).between(date(2000, 1, 1), date(2100, 1, 1))
    return {_uid_id(v["UID"]): (v["GEO"].latitude, v["GEO"].longitude) for v in found if "GEO" in v}


GEO_PARSERS: dict[str, Callable[[bytes], dict[int, Geo]]] = {
    "icalendar": geo_icalendar,
    "vobject": geo_vobject,
    "ics": geo_ics,
    "recurring-ical-events": geo_recurring,
}


def check_geo(data: bytes, expected: dict[int, Geo]) -> None:
    """Every parser reads exactly the expected GEO values; each line is two fixed floats."""
    for line in re.findall(rb"^GEO[:;].*$", data, re.M):
        assert re.fullmatch(rb"GEO:-?\d+\.\d{6};-?\d+\.\d{6}\r?", line), line
    for name, read in GEO_PARSERS.items():
        found = read(data)
        assert set(found) == set(expected), name
        for event_id, (latitude, longitude) in found.items():
            want = expected[event_id]
            assert abs(latitude - want[0]) < 1e-9 and abs(longitude - want[1]) < 1e-9, name


@pytest.fixture
def placed(make_organizer, make_event) -> dict[str, Event]:
    """Published events soon: given coordinates (two, one a millionth of a degree off the
    equator), a city only, online, and a row with coordinates out of range."""
    owner = make_organizer()
    start = utcnow() + timedelta(days=2)

    def make(title: str, **fields: object) -> Event:
        return make_event(
            owner, title=title, starts_at=start, ends_at=start + timedelta(hours=1), **fields
        )

    return {
        "leeds": make("Leeds", latitude=53.8008, longitude=-1.5491),
        "equator": make("Equator", latitude=0.000001, longitude=-180.0),
        "city": make("City only", city="Toronto", country="Canada"),
        "online": make("Online", format="online", venue="", latitude=51.5, longitude=-0.12),
        "broken": make("Broken", latitude=95.0, longitude=10.0),
    }


def _expected(events: dict[str, Event]) -> dict[int, Geo]:
    return {
        events["leeds"].id: (53.8008, -1.5491),
        events["equator"].id: (0.000001, -180.0),
    }


def test_each_event_file_has_geo_only_for_given_coordinates(client, placed):
    expected = _expected(placed)
    for event in placed.values():
        response = client.get(f"/events/{event.slug}/calendar.ics")
        assert response.status_code == 200
        data = response.get_data()
        check_geo(data, {k: v for k, v in expected.items() if k == event.id})
    equator = client.get(f"/events/{placed['equator'].slug}/calendar.ics").get_data()
    assert b"GEO:0.000001;-180.000000\r\n" in equator and b"e-0" not in equator


def test_the_feed_has_geo_for_each_placed_event(client, placed):
    response = client.get("/calendar.ics")
    assert response.status_code == 200
    check_geo(response.get_data(), _expected(placed))


def test_a_moved_venue_moves_in_the_calendar(client, placed):
    event = db.session.get(Event, placed["leeds"].id)
    assert event is not None
    before = client.get(f"/events/{event.slug}/calendar.ics").get_data()
    event.latitude, event.longitude = -33.87, 151.21
    event.updated_at = utcnow()
    db.session.commit()
    after = client.get(f"/events/{event.slug}/calendar.ics").get_data()
    assert after != before
    check_geo(after, {event.id: (-33.87, 151.21)})


def test_the_mailed_file_has_geo(app, placed, register, tmp_path):
    event = placed["leeds"]
    register(event, "Sam Jones", "sam@example.org")
    [message] = [m for m in delivered(app, tmp_path / "mail") if m.kind == "registration_confirmed"]
    raw = message.part("text/calendar").replace("\r\n", "\n").replace("\n", "\r\n")
    check_geo(raw.encode(), {event.id: (53.8008, -1.5491)})
