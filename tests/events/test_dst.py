"""Daylight-saving changes never shift an event: saved through the real organizer form."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.events.conftest import (
    count_events,
    created_id,
    edit_form_values,
    event_form,
    field_error,
    form_time,
    get_event,
)

# zone, abbreviation before and after the spring change, a time inside the gap, in the overlap
ZONES = [
    ("America/New_York", "EST", "EDT", (2, 30), (1, 30)),
    ("Europe/London", "GMT", "BST", (1, 30), (1, 30)),
    ("Australia/Sydney", "AEST", "AEDT", (2, 30), (2, 30)),
]


def _offset(day: date, tz: str) -> timedelta:
    offset = datetime.combine(day, datetime.min.time()).replace(hour=12, tzinfo=ZoneInfo(tz))
    return offset.utcoffset() or timedelta(0)


def next_change(tz: str, spring: bool) -> date:
    """The next day the clocks go forward (spring) or back, at least nine days from now."""
    day = datetime.now(ZoneInfo(tz)).date() + timedelta(days=9)
    for _ in range(800):
        before, after = _offset(day - timedelta(days=1), tz), _offset(day, tz)
        if (after > before) if spring else (after < before):
            return day
        day += timedelta(days=1)
    raise AssertionError(f"no DST change found for {tz}")


def _save_twice(client, tz: str, day: date, title: str) -> int:
    """Create through the form, then save again re-posting exactly what the edit form shows."""
    event_id = created_id(
        client.post(
            "/manage/events/new",
            data=event_form(
                title=title,
                timezone=tz,
                starts_local=form_time(day, 18),
                ends_local=form_time(day, 20),
            ),
        )
    )
    page = client.get(f"/manage/events/{event_id}/edit").get_data(as_text=True)
    shown = edit_form_values(page)
    assert shown["starts_local"] == form_time(day, 18)
    assert shown["ends_local"] == form_time(day, 20)
    assert shown["timezone"] == tz
    response = client.post(f"/manage/events/{event_id}/edit", data=shown)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return event_id


def _when(page: str, abbreviation: str) -> bool:
    return re.search(rf"18:00\s*–\s*20:00 {abbreviation}\b", page) is not None


@pytest.mark.parametrize(("tz", "before_abbr", "after_abbr", "gap", "overlap"), ZONES)
def test_same_wall_clock_time_across_the_spring_change(
    client, signed_in, tz, before_abbr, after_abbr, gap, overlap
):
    change = next_change(tz, spring=True)
    before_day, after_day = change - timedelta(days=7), change + timedelta(days=7)
    before_id = _save_twice(client, tz, before_day, "Before the change")
    after_id = _save_twice(client, tz, after_day, "After the change")

    for event_id in (before_id, after_id):
        assert client.post(f"/manage/events/{event_id}/publish").status_code == 302
        # A third save of a published event, re-posting the form, changes nothing.
        shown = edit_form_values(client.get(f"/manage/events/{event_id}/edit").get_data(True))
        assert client.post(f"/manage/events/{event_id}/edit", data=shown).status_code == 302
        assert get_event(event_id).sequence == 0

    before, after = get_event(before_id), get_event(after_id)
    # The same wall-clock time is a different UTC instant: one hour apart across the change.
    assert after.starts_at - before.starts_at == timedelta(days=14) - timedelta(hours=1)
    assert after.ends_at - after.starts_at == timedelta(hours=2)
    zone = ZoneInfo(tz)
    assert before.starts_at.astimezone(zone).hour == 18
    assert after.starts_at.astimezone(zone).hour == 18
    assert before.starts_at.tzinfo is UTC

    before_page = client.get(f"/events/{before.slug}").get_data(as_text=True)
    after_page = client.get(f"/events/{after.slug}").get_data(as_text=True)
    assert _when(before_page, before_abbr), before_page
    assert _when(after_page, after_abbr), after_page
    assert not _when(before_page, after_abbr)
    assert not _when(after_page, before_abbr)
    assert f"{before_day.day} {before_day:%b %Y}" in before_page
    assert f"{after_day.day} {after_day:%b %Y}" in after_page


def test_times_shown_in_the_event_zone_everywhere(client, signed_in):
    tz = "America/New_York"
    change = next_change(tz, spring=True)
    before_id = _save_twice(client, tz, change - timedelta(days=7), "Winter evening")
    after_id = _save_twice(client, tz, change + timedelta(days=7), "Spring evening")
    for event_id in (before_id, after_id):
        client.post(f"/manage/events/{event_id}/publish")
    listing = client.get("/events").get_data(as_text=True)
    assert "18:00 EST" in listing
    assert "18:00 EDT" in listing
    manage_list = client.get("/manage/events").get_data(as_text=True)
    assert "18:00 EST" in manage_list
    assert "18:00 EDT" in manage_list
    assert _when(client.get(f"/manage/events/{before_id}").get_data(as_text=True), "EST")
    assert _when(client.get(f"/manage/events/{after_id}").get_data(as_text=True), "EDT")
    dashboard = client.get("/manage/").get_data(as_text=True)
    assert "18:00 EST" in dashboard
    assert "18:00 EDT" in dashboard
    # Not the UTC wall-clock time (23:00 and 22:00) anywhere in the visible text.
    assert not re.search(r">[^<]*2[23]:00", listing)


@pytest.mark.parametrize(("tz", "before_abbr", "after_abbr", "gap", "overlap"), ZONES)
def test_time_in_the_spring_forward_gap_is_refused(
    client, signed_in, tz, before_abbr, after_abbr, gap, overlap
):
    change = next_change(tz, spring=True)
    response = client.post(
        "/manage/events/new",
        data=event_form(
            timezone=tz,
            starts_local=form_time(change, *gap),
            ends_local=form_time(change, 5),
        ),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    error = field_error(page, "starts_local")
    assert error and "does not exist" in error
    assert field_error(page, "ends_local") is None
    assert count_events() == 0

    # The end may fall in the gap too, and is refused next to its own field.
    response = client.post(
        "/manage/events/new",
        data=event_form(
            timezone=tz,
            starts_local=form_time(change - timedelta(days=1), 23),
            ends_local=form_time(change, *gap),
        ),
    )
    assert response.status_code == 400
    assert "does not exist" in (field_error(response.get_data(as_text=True), "ends_local") or "")
    assert count_events() == 0


@pytest.mark.parametrize(("tz", "before_abbr", "after_abbr", "gap", "overlap"), ZONES)
def test_time_in_the_autumn_overlap_is_accepted_and_stable(
    client, signed_in, tz, before_abbr, after_abbr, gap, overlap
):
    change = next_change(tz, spring=False)
    starts = form_time(change, *overlap)
    event_id = created_id(
        client.post(
            "/manage/events/new",
            data=event_form(timezone=tz, starts_local=starts, ends_local=form_time(change, 10)),
        )
    )
    first = get_event(event_id).starts_at
    local = first.astimezone(ZoneInfo(tz))
    assert (local.hour, local.minute) == overlap
    # The first (daylight) occurrence is taken, so the abbreviation is the summer one.
    assert local.dst() != timedelta(0)
    shown = edit_form_values(client.get(f"/manage/events/{event_id}/edit").get_data(True))
    assert shown["starts_local"] == starts
    assert client.post(f"/manage/events/{event_id}/edit", data=shown).status_code == 302
    assert get_event(event_id).starts_at == first
    assert client.post(f"/manage/events/{event_id}/publish").status_code == 302
    page = client.get(f"/events/{get_event(event_id).slug}").get_data(as_text=True)
    # The start is in summer time and the end (after the change) in winter time: both shown.
    assert f"{overlap[0]:02d}:{overlap[1]:02d} {after_abbr}" in page
    assert f"10:00 {before_abbr}" in page
