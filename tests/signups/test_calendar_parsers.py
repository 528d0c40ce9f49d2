"""Calendar files read the same in four parsers: icalendar, vobject, ics and
recurring-ical-events resolve every event time to the offset zoneinfo gives, for every zone
the demo seed uses, on both sides of each daylight-saving change, in the per-event file,
the feed and the file attached to mail. The VTIMEZONE text itself is checked too (icalendar
and dateutil, through ics, read it without the zone database), since a client such as
Outlook trusts the file's definition over the zone's name."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import ics
import pytest
import recurring_ical_events
import vobject
from icalendar import Calendar

from campaign.campaigns.demo import DEMO_EVENTS, DEMO_TIMEZONE
from campaign.core.timeutil import local_to_utc
from campaign.events import views as event_views
from campaign.events.models import Event
from campaign.extensions import db
from tests.signups.conftest import delivered

SEEDED_ZONES = sorted({spec.timezone for spec in DEMO_EVENTS} | {DEMO_TIMEZONE})
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)  # before every event below
YEAR = 2027
# Dates a reader of add_missing_timezones()'s output put an hour off.
KNOWN_BAD = [
    ("Europe/London", datetime(2027, 1, 2, 10)),
    ("Australia/Sydney", datetime(2026, 12, 26, 10)),
]


def _changes(zone: str, year: int) -> Iterator[date]:
    """The local dates on which zone changes its UTC offset during year (hourly scan)."""
    tz = ZoneInfo(zone)
    instant = datetime(year, 1, 1, tzinfo=UTC)
    offset = instant.astimezone(tz).utcoffset()
    while instant.year == year:
        instant += timedelta(hours=1)
        now_offset = instant.astimezone(tz).utcoffset()
        if now_offset != offset:
            yield instant.astimezone(tz).date()
            offset = now_offset


def _local_times() -> list[tuple[str, datetime]]:
    """For each seeded zone: noon the day before and the day after each change in YEAR,
    mid-January and mid-July (both seasons in both hemispheres); plus the known bad dates."""
    times = list(KNOWN_BAD)
    for zone in SEEDED_ZONES:
        days = [date(YEAR, 1, 15), date(YEAR, 7, 15)]
        changes = list(_changes(zone, YEAR))
        assert len(changes) == 2, (zone, changes)  # every seeded zone has daylight saving
        for day in changes:
            days += [day - timedelta(days=1), day + timedelta(days=1)]
        times += [(zone, datetime.combine(day, time(12))) for day in days]
    return times


@pytest.fixture
def dst_events(make_organizer, make_event) -> list[Event]:
    owner = make_organizer()
    events = []
    for zone, local in _local_times():
        starts = local_to_utc(local, zone)
        events.append(
            make_event(owner, timezone=zone, starts_at=starts, ends_at=starts + timedelta(hours=2))
        )
    return events


def _expected(event: Event) -> dict[str, timedelta]:
    """The UTC offsets zoneinfo gives at the event's start and end, keyed by UID prefix."""
    zone = ZoneInfo(event.timezone)
    return {
        "start": event.starts_at.astimezone(zone).utcoffset(),
        "end": event.ends_at.astimezone(zone).utcoffset(),
    }


def _uid_id(uid: Any) -> int:
    return int(str(uid).split("@")[0].removeprefix("event-"))


def _wall(value: datetime) -> datetime:
    return value.replace(tzinfo=None)


def read_icalendar(data: bytes) -> dict[int, tuple[datetime, datetime]]:
    cal = Calendar.from_ical(data)
    return {_uid_id(v["UID"]): (v["DTSTART"].dt, v["DTEND"].dt) for v in cal.walk("VEVENT")}


def read_vobject(data: bytes) -> dict[int, tuple[datetime, datetime]]:
    cal = vobject.readOne(data.decode())
    return {
        _uid_id(v.uid.value): (v.dtstart.value, v.dtend.value)
        for v in cal.contents.get("vevent", [])
    }


def read_ics(data: bytes) -> dict[int, tuple[datetime, datetime]]:
    cal = ics.Calendar(data.decode())
    return {_uid_id(e.uid): (e.begin.datetime, e.end.datetime) for e in cal.events}


def read_recurring(data: bytes) -> dict[int, tuple[datetime, datetime]]:
    cal = Calendar.from_ical(data)
    found = recurring_ical_events.of(cal).between(date(2000, 1, 1), date(2100, 1, 1))
    return {_uid_id(v["UID"]): (v["DTSTART"].dt, v["DTEND"].dt) for v in found}


PARSERS = {
    "icalendar": read_icalendar,
    "vobject": read_vobject,
    "ics": read_ics,
    "recurring-ical-events": read_recurring,
}


def _vtimezone_readers(data: bytes) -> dict[str, dict[str, Any]]:
    """The file's own VTIMEZONE definitions as tzinfo objects, read without the zone
    database: by icalendar, and by dateutil's tzical (what ics falls back on)."""
    from dateutil.tz import tzical

    cal = Calendar.from_ical(data)
    by_icalendar = {str(tz["TZID"]): tz.to_tz(lookup_tzid=False) for tz in cal.walk("VTIMEZONE")}
    by_dateutil = {}
    for tz in cal.walk("VTIMEZONE"):
        zones = tzical(io.StringIO(tz.to_ical().decode()))
        by_dateutil[str(tz["TZID"])] = zones.get(str(tz["TZID"]))
    return {"icalendar VTIMEZONE": by_icalendar, "dateutil VTIMEZONE": by_dateutil}


def check_calendar(data: bytes, events: list[Event]) -> None:
    """Every parser finds every event at its wall-clock time with zoneinfo's offsets."""
    assert b"\r\n" in data
    wanted = {e.id: e for e in events}
    for name, read in PARSERS.items():
        found = read(data)
        assert set(found) == set(wanted), name
        for event_id, (start, end) in found.items():
            event = wanted[event_id]
            expected = _expected(event)
            assert start.utcoffset() == expected["start"], (name, event.timezone, start)
            assert end.utcoffset() == expected["end"], (name, event.timezone, end)
            assert start == event.starts_at and end == event.ends_at, (name, event.timezone)
    for reader, zones in _vtimezone_readers(data).items():
        assert set(zones) == {e.timezone for e in events}, reader
        for event in events:
            zone = zones[event.timezone]
            for instant in (event.starts_at, event.ends_at):
                wall = _wall(instant.astimezone(ZoneInfo(event.timezone)))
                offset = wall.replace(tzinfo=zone).utcoffset()
                assert offset == instant.astimezone(ZoneInfo(event.timezone)).utcoffset(), (
                    reader,
                    event.timezone,
                    wall,
                    offset,
                )


def test_the_chosen_dates_cross_every_change(dst_events):
    """The fixture really puts events on both sides of each zone's changes."""
    for zone in SEEDED_ZONES:
        offsets = {e.starts_at.astimezone(ZoneInfo(zone)).utcoffset() for e in dst_events
                   if e.timezone == zone}  # fmt: skip
        assert len(offsets) == 2, zone


def test_each_event_file_reads_the_same_in_four_parsers(client, dst_events):
    for event in dst_events:
        response = client.get(f"/events/{event.slug}/calendar.ics")
        assert response.status_code == 200
        check_calendar(response.get_data(), [event])


def test_the_feed_reads_the_same_in_four_parsers(client, dst_events, monkeypatch):
    monkeypatch.setattr(event_views, "utcnow", lambda: NOW)
    response = client.get("/calendar.ics")
    assert response.status_code == 200
    check_calendar(response.get_data(), dst_events)


def test_the_mailed_files_read_the_same_in_four_parsers(app, dst_events, register, tmp_path):
    for n, event in enumerate(dst_events):
        register(event, "Sam Jones", f"sam{n}@example.org", now=NOW)
    messages = [m for m in delivered(app, tmp_path / "mail") if m.kind == "registration_confirmed"]
    assert len(messages) == len(dst_events)
    by_registration = {m.registration_id: m for m in messages}
    db.session.rollback()
    from campaign.signups.models import Registration

    for registration_id, message in by_registration.items():
        registration = db.session.get(Registration, registration_id)
        raw = message.part("text/calendar").replace("\r\n", "\n").replace("\n", "\r\n")
        check_calendar(raw.encode(), [registration.event])
