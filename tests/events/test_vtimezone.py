"""VTIMEZONE definitions written from zoneinfo hold for zones beyond the demo seed's: half-hour
daylight saving (Lord Howe), a negative one (Dublin), several changes a year (Casablanca),
the southern hemisphere (Santiago), a half-hour offset (St John's). Every unambiguous wall
time of two years, every 13 hours, is read back by vobject and by dateutil's tzical with
zoneinfo's offset. (Inside an autumn overlap a TZID time means its first occurrence.)"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import vobject
from dateutil.tz import tzical
from icalendar import Calendar, Event

from campaign.events.vtimezone import transitions, vtimezone, vtimezones

ZONES = [
    "Australia/Lord_Howe",
    "Europe/Dublin",
    "Africa/Casablanca",
    "America/Santiago",
    "America/St_Johns",
    "Asia/Kolkata",
]


def _unambiguous(instant: datetime, zone: ZoneInfo) -> bool:
    local = instant.astimezone(zone)
    other = local.replace(tzinfo=None).replace(tzinfo=zone, fold=1 - local.fold)
    return other.utcoffset() == local.utcoffset()


@pytest.mark.parametrize("name", ZONES)
def test_every_wall_time_reads_back_with_zoneinfos_offset(name):
    zone = ZoneInfo(name)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    instants = [start + timedelta(hours=13 * n) for n in range(2 * 365 * 24 // 13)]
    instants = [i for i in instants if _unambiguous(i, zone)]
    cal = Calendar()
    cal.add("prodid", "-//test//EN")
    cal.add("version", "2.0")
    for n, instant in enumerate(instants):
        item = Event()
        item.add("uid", f"{n}@test")
        item.add("dtstamp", start)
        item.add("dtstart", instant.astimezone(zone))
        cal.add_component(item)
    for component in vtimezones([(name, i.astimezone(zone)) for i in instants]):
        cal.add_component(component)
    data = cal.to_ical().decode()

    read = vobject.readOne(data).vevent_list
    assert len(read) == len(instants)
    wrong = [
        (instant, item.dtstart.value)
        for instant, item in zip(instants, read, strict=True)
        if item.dtstart.value.utcoffset() != instant.astimezone(zone).utcoffset()
    ]
    assert not wrong, wrong[:3]

    [definition] = Calendar.from_ical(data).walk("VTIMEZONE")
    by_dateutil = tzical(io.StringIO(definition.to_ical().decode())).get(name)
    for instant in instants:
        local = instant.astimezone(zone)
        assert local.replace(tzinfo=by_dateutil).utcoffset() == local.utcoffset(), instant


def test_one_observance_per_change_and_nothing_recurring():
    component = vtimezone("Europe/London", date(2027, 1, 2), date(2027, 1, 2))
    parts = list(component.subcomponents)
    changes = transitions("Europe/London", 2026, 2028)
    assert len(parts) == 1 + len(changes) == 7  # the window's start, two changes a year
    for part in parts:
        assert "RRULE" not in part and "RDATE" not in part
    first = parts[0]
    assert first["TZOFFSETFROM"].td == first["TZOFFSETTO"].td == timedelta(0)


def test_transitions_are_found_to_the_second():
    [spring, autumn] = transitions("America/New_York", 2027, 2027)
    assert spring.at == datetime(2027, 3, 14, 7, tzinfo=UTC)  # 02:00 EST
    assert autumn.at == datetime(2027, 11, 7, 6, tzinfo=UTC)  # 02:00 EDT
    assert (spring.before.offset, spring.after.offset) == (timedelta(hours=-5), timedelta(hours=-4))
    assert not transitions("Asia/Kolkata", 2027, 2027)
