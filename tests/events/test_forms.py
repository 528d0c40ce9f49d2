"""The event form: every bad input is refused next to its field and nothing is saved."""

from __future__ import annotations

import html

import pytest

from campaign.events.models import Event
from campaign.extensions import db
from tests.events.conftest import (
    checked_radio,
    count_events,
    created_id,
    event_form,
    field_error,
    form_time,
    get_event,
    input_value,
    local_day,
    selected_option,
    textarea_value,
)

DAY = local_day(14)

BAD_INPUTS = [
    pytest.param(
        {"ends_local": form_time(DAY, 17)}, "ends_local", "after the start", id="end-before-start"
    ),
    pytest.param(
        {"ends_local": form_time(DAY, 18)}, "ends_local", "after the start", id="end-equals-start"
    ),
    pytest.param({"timezone": "Mars/Olympus_Mons"}, "timezone", "time zone", id="unknown-timezone"),
    pytest.param({"timezone": ""}, "timezone", "time zone", id="empty-timezone"),
    pytest.param({"timezone": "US/Eastern"}, "timezone", "time zone", id="legacy-alias-timezone"),
    pytest.param({"title": "x" * 121}, "title", "at most 120", id="title-too-long"),
    pytest.param(
        {"description": "d" * 5001}, "description", "at most 5000", id="description-too-long"
    ),
    pytest.param({"summary": "s" * 281}, "summary", "at most 280", id="summary-too-long"),
    pytest.param({"join_url": "javascript:alert(1)"}, "join_url", "https://", id="javascript-url"),
    pytest.param({"join_url": "ftp://x"}, "join_url", "https://", id="ftp-url"),
    pytest.param({"join_url": "example.com"}, "join_url", "https://", id="url-without-scheme"),
    pytest.param({"join_url": "https://"}, "join_url", "https://", id="url-without-host"),
    pytest.param(
        {"join_url": "https://exa mple.com/x"}, "join_url", "https://", id="url-with-space"
    ),
    pytest.param({"capacity": "0"}, "capacity", "1 to", id="capacity-zero"),
    pytest.param({"capacity": "-5"}, "capacity", "1 to", id="capacity-negative"),
    pytest.param({"capacity": "100001"}, "capacity", "1 to", id="capacity-over-max"),
    pytest.param({"capacity": "9" * 40}, "capacity", "1 to", id="capacity-huge"),
    pytest.param({"capacity": "ten"}, "capacity", "integer", id="capacity-not-a-number"),
    pytest.param({"capacity": "2.5"}, "capacity", "integer", id="capacity-fraction"),
    pytest.param({"title": "Talk\x00night"}, "title", "control characters", id="title-nul"),
    pytest.param(
        {"title": "Talk \u202enight"}, "title", "control characters", id="title-bidi-override"
    ),
    pytest.param({"city": "Leeds\u200b"}, "city", "control characters", id="city-zero-width"),
    pytest.param({"title": ""}, "title", "Give the event a title", id="missing-title"),
    pytest.param({"title": "   "}, "title", "", id="blank-title"),
    pytest.param({"starts_local": ""}, "starts_local", "", id="missing-start"),
    pytest.param({"starts_local": "next tuesday"}, "starts_local", "", id="garbage-start"),
    pytest.param({"ends_local": None}, "ends_local", "", id="missing-end"),
    pytest.param({"venue": "", "city": ""}, "venue", "venue", id="in-person-without-place"),
    pytest.param(
        {"format": "hybrid", "venue": "", "city": ""}, "venue", "venue", id="hybrid-without-place"
    ),
    pytest.param(
        {"format": "zoom"}, "format", "Choose in person, online or hybrid", id="invalid-format"
    ),
    pytest.param({"venue": "v" * 201}, "venue", "at most 200", id="venue-too-long"),
]


@pytest.mark.parametrize(("overrides", "field", "message"), BAD_INPUTS)
def test_bad_input_is_refused_next_to_its_field(client, signed_in, overrides, field, message):
    response = client.post("/manage/events/new", data=event_form(**overrides))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    error = field_error(page, field)
    assert error is not None, f"no #{field}-error in page"
    assert message.lower() in error.lower()
    # The field is marked invalid and points at its error message for screen readers.
    assert f'{field}-error"' in page
    assert 'id="error-summary"' in page
    # No attribute rendered from a Python None (aria-describedby="None" points nowhere).
    assert '="None"' not in page
    assert count_events() == 0


def test_bad_input_on_edit_saves_nothing(client, signed_in):
    event_id = created_id(client.post("/manage/events/new", data=event_form()))
    before = get_event(event_id)
    snapshot = (before.title, before.starts_at, before.ends_at, before.join_url, before.updated_at)
    response = client.post(
        f"/manage/events/{event_id}/edit",
        data=event_form(title="New title", join_url="javascript:alert(1)"),
    )
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "join_url")
    after = get_event(event_id)
    assert (after.title, after.starts_at, after.ends_at, after.join_url, after.updated_at) == (
        snapshot
    )
    assert count_events() == 1


def test_several_errors_at_once(client, signed_in):
    response = client.post(
        "/manage/events/new",
        data=event_form(title="", join_url="ftp://x", capacity="0", timezone="Nowhere/Land"),
    )
    page = response.get_data(as_text=True)
    for field in ("title", "join_url", "capacity", "timezone"):
        assert field_error(page, field), field
    assert "Please fix 4 problems" in page
    assert count_events() == 0


def test_inputs_are_kept_after_an_error(client, signed_in):
    data = event_form(
        title='Talk about "facts" & <myths>',
        summary="A short summary",
        description="Line one\n\nLine <b>two</b>",
        timezone="America/Chicago",
        city="Chicago",
        join_url="javascript:alert(1)",
        capacity="40",
        format="hybrid",
    )
    response = client.post("/manage/events/new", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert input_value(page, "title") == data["title"]
    assert input_value(page, "summary") == "A short summary"
    assert textarea_value(page, "description") == data["description"]
    assert selected_option(page, "timezone") == "America/Chicago"
    assert input_value(page, "starts_local") == data["starts_local"]
    assert input_value(page, "ends_local") == data["ends_local"]
    assert input_value(page, "city") == "Chicago"
    assert input_value(page, "join_url") == "javascript:alert(1)"
    assert input_value(page, "capacity") == "40"
    assert checked_radio(page, "format") == "hybrid"
    # Kept, but escaped: the text never becomes markup.
    assert "<myths>" not in page
    assert "<b>two</b>" not in page
    assert html.escape("<b>two</b>", quote=False) in page


def test_valid_event_saves_as_draft(client, signed_in):
    response = client.post(
        "/manage/events/new",
        data=event_form(capacity="25", join_url="https://meet.example.org/x", format="hybrid"),
    )
    event_id = created_id(response)
    event = get_event(event_id)
    assert event.status == "draft"
    assert event.organizer_id == signed_in.id
    assert event.title == "Community Talk on Ketamine"
    assert event.capacity == 25
    assert event.format == "hybrid"
    assert event.join_url == "https://meet.example.org/x"
    assert event.is_waitlist_enabled is True
    assert event.timezone == "Europe/London"
    assert event.sequence == 0
    assert event.published_at is None
    assert count_events() == 1
    # A draft is not public.
    assert client.get(f"/events/{event.slug}").status_code == 404


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"title": "x" * 120}, id="title-at-limit"),
        pytest.param({"description": "d" * 5000}, id="description-at-limit"),
        pytest.param({"summary": "s" * 280}, id="summary-at-limit"),
        pytest.param({"capacity": "1"}, id="capacity-one"),
        pytest.param({"capacity": "100000"}, id="capacity-at-max"),
        pytest.param({"capacity": ""}, id="capacity-unlimited"),
        pytest.param(
            {"format": "online", "venue": "", "city": "", "join_url": "http://meet.example.org/a"},
            id="online-without-place",
        ),
        pytest.param({"venue": "", "city": "Leeds"}, id="city-without-venue"),
        pytest.param({"title": "Ketamine-Tag in München — Gespräch"}, id="unicode-title"),
        pytest.param({"description": "Line one\nLine two\n\n- a list"}, id="multiline-description"),
    ],
)
def test_edge_values_are_accepted(client, signed_in, overrides):
    event_id = created_id(client.post("/manage/events/new", data=event_form(**overrides)))
    event = get_event(event_id)
    assert event.status == "draft"
    if "capacity" in overrides:
        expected = int(overrides["capacity"]) if overrides["capacity"] else None
        assert event.capacity == expected


def test_online_event_drops_venue_and_address(client, signed_in):
    event_id = created_id(
        client.post(
            "/manage/events/new",
            data=event_form(format="online", join_url="https://meet.example.org/a"),
        )
    )
    event = get_event(event_id)
    assert event.venue == ""
    assert event.address == ""


def test_title_is_trimmed_and_normalised(client, signed_in):
    event_id = created_id(
        client.post("/manage/events/new", data=event_form(title="  Cafe\u0301 talk  "))
    )
    assert get_event(event_id).title == "Café talk"


def test_waitlist_unchecked_is_saved_off(client, signed_in):
    data = event_form()
    del data["is_waitlist_enabled"]
    event_id = created_id(client.post("/manage/events/new", data=data))
    assert get_event(event_id).is_waitlist_enabled is False


def test_database_refuses_end_before_start_even_without_the_form(app, campaign, make_organizer):
    from datetime import UTC, datetime

    from sqlalchemy.exc import IntegrityError

    organizer = make_organizer()
    start = datetime(2031, 1, 1, 18, tzinfo=UTC)
    db.session.add(
        Event(
            campaign_id=campaign.id,
            organizer_id=organizer.id,
            slug="bad",
            title="Bad",
            starts_at=start,
            ends_at=start,
            timezone="UTC",
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
