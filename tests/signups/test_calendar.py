"""Calendars, parsed with icalendar: the event file, the feed and the mail attachment carry
the event's UTC instants with a TZID and its VTIMEZONE, a stable UID and a SEQUENCE that
moves only when the time or place changes; Google and Outlook links carry UTC times."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from icalendar import Calendar

from campaign.core.timeutil import local_to_utc
from campaign.events.models import Event
from campaign.extensions import db
from tests.signups.conftest import BASE_URL, delivered, edit_event, hrefs, token_of

NEW_YORK = "America/New_York"


def _ics(client, path: str) -> Calendar:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.get_data())


def _vevents(cal: Calendar) -> list:
    return list(cal.walk("VEVENT"))


def _one(cal: Calendar):
    [vevent] = _vevents(cal)
    return vevent


def _current(event_id: int) -> Event:
    db.session.rollback()
    event = db.session.get(Event, event_id)
    assert event is not None
    return event


def _check_calendar(cal: Calendar, event: Event) -> None:
    """VERSION, PRODID, one VEVENT with the event's instants, TZID and VTIMEZONE, URL."""
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"]).strip()
    vevent = _one(cal)
    for prop, instant in (("DTSTART", event.starts_at), ("DTEND", event.ends_at)):
        value = vevent[prop]
        assert value.params.get("TZID") == event.timezone, (prop, value.params)
        assert value.dt.tzinfo is not None
        assert value.dt == instant, (prop, value.dt, instant)
    zones = [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")]
    assert event.timezone in zones, zones
    assert str(vevent["URL"]) == f"{BASE_URL}/events/{event.slug}"
    assert str(vevent["SUMMARY"]) == event.title


def _starts(year_offset: int, month: int, hour: int = 18) -> datetime:
    day = date(date.today().year + year_offset, month, 15)
    return local_to_utc(datetime.combine(day, datetime.min.time()).replace(hour=hour), NEW_YORK)


@pytest.mark.parametrize("month", [1, 7], ids=["winter-EST", "summer-EDT"])
def test_the_event_calendar_has_the_events_instants(client, make_organizer, make_event, month):
    starts = _starts(1, month)
    event = make_event(make_organizer(), timezone=NEW_YORK, starts_at=starts,
                       ends_at=starts + timedelta(hours=2, minutes=30))  # fmt: skip
    cal = _ics(client, f"/events/{event.slug}/calendar.ics")
    _check_calendar(cal, _current(event.id))
    vevent = _one(cal)
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert str(vevent["UID"]).strip()
    assert int(vevent["SEQUENCE"]) == 0
    # The wall-clock time is 18:00 in New York, whatever the offset that day.
    assert vevent["DTSTART"].dt.hour == 18
    offset = vevent["DTSTART"].dt.utcoffset()
    assert offset == timedelta(hours=-5 if month == 1 else -4)


def test_uid_is_stable_and_sequence_moves_only_for_time_or_place(
    app, client, login_as, make_organizer, make_event, signup, tmp_path
):
    owner = make_organizer()
    admin = make_organizer(admin=True)
    event = make_event(owner, timezone=NEW_YORK, starts_at=_starts(1, 3))
    signup(event, email="attendee@example.org")
    first = _one(_ics(client, f"/events/{event.slug}/calendar.ics"))
    uid = str(first["UID"])
    [confirmation] = delivered(app, tmp_path / "mail")
    attached = Calendar.from_ical(confirmation.ics)
    assert str(_one(attached)["UID"]) == uid
    _check_calendar(attached, _current(event.id))

    login_as(admin)
    edit_event(client, event.id, title="A better title", summary="A better summary.")
    after_text = _one(_ics(client, f"/events/{event.slug}/calendar.ics"))
    assert str(after_text["UID"]) == uid
    assert int(after_text["SEQUENCE"]) == 0
    assert str(after_text["SUMMARY"]) == "A better title"
    assert not [m for m in delivered(app, tmp_path / "mail") if m.kind == "event_changed"]

    current = _current(event.id)
    new_start = current.starts_at + timedelta(hours=1)
    edit_event(client, event.id, starts_local=_local_form(new_start),
               ends_local=_local_form(new_start + timedelta(hours=2)))  # fmt: skip
    moved = _ics(client, f"/events/{event.slug}/calendar.ics")
    assert str(_one(moved)["UID"]) == uid
    assert int(_one(moved)["SEQUENCE"]) == 1
    _check_calendar(moved, _current(event.id))
    assert _one(moved)["DTSTART"].dt == new_start

    edit_event(client, event.id, venue="A different hall")
    placed = _one(_ics(client, f"/events/{event.slug}/calendar.ics"))
    assert (str(placed["UID"]), int(placed["SEQUENCE"])) == (uid, 2)
    assert "A different hall" in str(placed["LOCATION"])

    # Each change reached the registrant with the updated calendar entry.
    changes = [m for m in delivered(app, tmp_path / "mail") if m.kind == "event_changed"]
    assert changes
    latest = Calendar.from_ical(changes[-1].ics)
    assert str(_one(latest)["UID"]) == uid
    assert int(_one(latest)["SEQUENCE"]) == 2
    _check_calendar(latest, _current(event.id))


def _local_form(instant: datetime) -> str:
    from zoneinfo import ZoneInfo

    return instant.astimezone(ZoneInfo(NEW_YORK)).strftime("%Y-%m-%dT%H:%M")


def test_the_feed_lists_published_events_and_not_drafts(client, make_organizer, make_event):
    organizer = make_organizer()
    published = make_event(organizer, title="Published talk", timezone=NEW_YORK)
    other = make_event(organizer, title="Second talk")
    draft = make_event(organizer, title="Secret draft", status="draft", published_at=None)
    cal = _ics(client, "/calendar.ics")
    assert str(cal["VERSION"]) == "2.0" and str(cal["PRODID"]).strip()
    events = {str(v["SUMMARY"]): v for v in _vevents(cal)}
    assert set(events) == {"Published talk", "Second talk"}
    assert "Secret draft" not in client.get("/calendar.ics").get_data(as_text=True)
    for event in (published, other):
        event = _current(event.id)
        vevent = events[event.title]
        assert vevent["DTSTART"].dt == event.starts_at
        assert vevent["DTSTART"].params.get("TZID") == event.timezone
        assert str(vevent["URL"]) == f"{BASE_URL}/events/{event.slug}"
    zones = {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")}
    assert {NEW_YORK, "Europe/London"} <= zones
    single = _one(_ics(client, f"/events/{published.slug}/calendar.ics"))
    assert str(single["UID"]) == str(events["Published talk"]["UID"])
    assert client.get(f"/events/{draft.slug}/calendar.ics").status_code == 404


def test_a_cancelled_events_calendar_cancels_the_same_uid(
    app, client, login_as, make_organizer, make_event, signup, tmp_path
):
    owner = make_organizer()
    event = make_event(owner)
    signup(event, email="attendee@example.org")
    before = _one(_ics(client, f"/events/{event.slug}/calendar.ics"))
    delivered(app, tmp_path / "mail")
    login_as(owner)
    assert client.post(f"/manage/events/{event.id}/cancel").status_code == 302
    cal = _ics(client, f"/events/{event.slug}/calendar.ics")
    assert str(cal["METHOD"]) == "CANCEL"
    vevent = _one(cal)
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert str(vevent["UID"]) == str(before["UID"])
    assert int(vevent["SEQUENCE"]) > int(before["SEQUENCE"])
    feed = {str(v["UID"]): v for v in _vevents(_ics(client, "/calendar.ics"))}
    assert str(feed[str(before["UID"])]["STATUS"]) == "CANCELLED"
    [notice] = [m for m in delivered(app, tmp_path / "mail") if m.kind == "event_cancelled"]
    attached = Calendar.from_ical(notice.ics)
    assert str(attached["METHOD"]) == "CANCEL"
    assert str(_one(attached)["UID"]) == str(before["UID"])
    assert str(_one(attached)["STATUS"]) == "CANCELLED"


def _utc(instant: datetime, fmt: str) -> str:
    return instant.astimezone(UTC).strftime(fmt)


def _calendar_links(page: str) -> tuple[dict, dict]:
    google = [h for h in hrefs(page) if h.startswith("https://calendar.google.com/")]
    outlook = [h for h in hrefs(page) if h.startswith("https://outlook.live.com/")]
    assert len(google) == 1 and len(outlook) == 1, (google, outlook)
    return parse_qs(urlsplit(google[0]).query), parse_qs(urlsplit(outlook[0]).query)


def test_google_and_outlook_links_carry_utc_times(client, make_organizer, make_event, signup):
    starts = _starts(1, 7, hour=19)
    event = make_event(make_organizer(), timezone=NEW_YORK, starts_at=starts,
                       ends_at=starts + timedelta(hours=2))  # fmt: skip
    signup(event, email="attendee@example.org")
    public = client.get(f"/events/{event.slug}").get_data(as_text=True)
    manage = client.get(f"/r/{token_of('attendee@example.org')}").get_data(as_text=True)
    event = _current(event.id)
    for page in (public, manage):
        google, outlook = _calendar_links(page)
        stamp = "%Y%m%dT%H%M%SZ"
        expected = f"{_utc(event.starts_at, stamp)}/{_utc(event.ends_at, stamp)}"
        assert google["dates"] == [expected]
        assert expected.startswith(f"{starts.year}0715T230000Z")  # 19:00 EDT
        assert google["text"] == [event.title]
        iso = "%Y-%m-%dT%H:%M:%SZ"
        assert outlook["startdt"] == [_utc(event.starts_at, iso)]
        assert outlook["enddt"] == [_utc(event.ends_at, iso)]
        assert outlook["subject"] == [event.title]
