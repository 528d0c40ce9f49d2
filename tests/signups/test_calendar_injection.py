"""No text an organizer types can add lines to a calendar file: every kind of line break in
an event's fields (CR, LF, CRLF, VT, FF, NEL, U+2028, U+2029) reaches the .ics escaped or
as a separator, never raw. Checked in the per-event file, the feed and the mailed file,
each read by four parsers, which must all see exactly the one event."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import ics
import pytest
import recurring_ical_events
import vobject
from icalendar import Calendar

from campaign.events import views as event_views
from campaign.events.models import Event
from campaign.extensions import db
from tests.signups.conftest import delivered, edit_event

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
BREAKS = {
    "CR": "\r",
    "LF": "\n",
    "CRLF": "\r\n",
    "VT": "\x0b",
    "FF": "\x0c",
    "NEL": "\x85",
    "LS": "\u2028",
    "PS": "\u2029",
}


def _payload(br: str) -> str:
    """An address that, if its breaks were written raw, would end the event and add one."""
    return br.join(
        [
            "1 Main Street",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:event-999@campaign.example.org",
            "DTSTART:20300101T000000Z",
            "SUMMARY:Injected",
            "ATTACH:https://evil.example/x.exe",
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            "TRIGGER:-PT1M",
            "END:VALARM",
        ]
    )


def _raw_breaks(data: bytes) -> list[str]:
    """Line breaks other than the CRLF that ends each content line."""
    text = data.decode()
    stray = re.findall(r"\r(?!\n)|(?<!\r)\n|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]", text)
    return stray


def _check_single_event(data: bytes, uid: str) -> None:
    assert not _raw_breaks(data), _raw_breaks(data)
    cal = Calendar.from_ical(data)
    vevents = list(cal.walk("VEVENT"))
    assert [str(v["UID"]) for v in vevents] == [uid]
    assert not list(cal.walk("VALARM"))
    assert "ATTACH" not in vevents[0]
    assert [v.uid.value for v in vobject.readOne(data.decode()).contents["vevent"]] == [uid]
    assert [e.uid for e in ics.Calendar(data.decode()).events] == [uid]
    found = recurring_ical_events.of(cal).between(datetime(2000, 1, 1), datetime(2100, 1, 1))
    assert [str(v["UID"]) for v in found] == [uid]


def _uid(event: Event) -> str:
    return f"event-{event.id}@campaign.example.org"


@pytest.mark.parametrize("kind", list(BREAKS))
def test_a_stored_line_break_never_reaches_the_file_raw(
    app, client, make_organizer, make_event, register, tmp_path, monkeypatch, kind
):
    """Rows written before the form normalised breaks (or by other code) are safe too."""
    br = BREAKS[kind]
    starts = datetime(2027, 3, 1, 18, tzinfo=UTC)
    event = make_event(
        make_organizer(),
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        address=_payload(br),
        venue=f"Hall{br}BEGIN:VALARM",
        title=f"Talk{br}ATTACH:https://evil.example/y",
        summary=f"An evening{br}END:VEVENT",
    )
    uid = _uid(event)
    _check_single_event(client.get(f"/events/{event.slug}/calendar.ics").get_data(), uid)

    monkeypatch.setattr(event_views, "utcnow", lambda: NOW)
    _check_single_event(client.get("/calendar.ics").get_data(), uid)

    register(event, "Sam Jones", "sam@example.org", now=NOW)
    [message] = [m for m in delivered(app, tmp_path / "mail") if m.kind == "registration_confirmed"]
    for part in message.message.walk():
        if part.get_content_type() == "text/calendar":
            raw = part.get_payload(decode=True)
            # The mail's own line ends are CRLF or LF; either way, no extra line appears.
            _check_single_event(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), uid)
            assert b"\rEND:VEVENT\r" not in raw and b"\nUID:event-999" not in raw


def test_a_two_line_address_from_a_browser_is_one_location(app, client, make_organizer,
                                                           make_event, login_as):  # fmt: skip
    """A browser sends a textarea's lines with CRLF; LOCATION lists them comma-separated."""
    owner = make_organizer()
    event = make_event(owner, venue="Town Hall", address="", city="Leeds")
    login_as(owner)
    edit_event(client, event.id, address="1 Main Street\r\nFlat 2\r\n")
    db.session.rollback()
    stored = db.session.get(Event, event.id)
    assert stored.address == "1 Main Street\nFlat 2"  # one kind of line break is kept
    cal = Calendar.from_ical(client.get(f"/events/{event.slug}/calendar.ics").get_data())
    [vevent] = cal.walk("VEVENT")
    assert str(vevent["LOCATION"]) == (
        "Town Hall, 1 Main Street, Flat 2, Leeds, England, United Kingdom"
    )


def test_the_form_stores_an_injected_address_as_plain_lines(app, client, make_organizer,
                                                            make_event, login_as):  # fmt: skip
    owner = make_organizer()
    event = make_event(owner)
    login_as(owner)
    edit_event(client, event.id, address=_payload("\r"))
    db.session.rollback()
    stored = db.session.get(Event, event.id)
    assert "\r" not in stored.address
    assert stored.address.split("\n")[:2] == ["1 Main Street", "END:VEVENT"]
    _check_single_event(client.get(f"/events/{event.slug}/calendar.ics").get_data(), _uid(event))
