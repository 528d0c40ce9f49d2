"""Dates outside the years events can have (2000-2099) are a field error, not a 500: near
year 9999 a far-west zone's UTC instant would fall in year 10000, near year 1 a far-east
zone's in year 0. Nothing is saved."""

from __future__ import annotations

import pytest

from campaign.core.timeutil import EARLIEST_YEAR, LATEST_YEAR
from tests.events.conftest import count_events, event_form, field_error, get_event

CASES = [
    pytest.param("Pacific/Honolulu", "9999-12-31T23:00", "9999-12-31T23:30", id="9999-far-west"),
    pytest.param("Pacific/Pago_Pago", "9999-12-31T14:00", "9999-12-31T15:00", id="9999-samoa"),
    pytest.param("Pacific/Kiritimati", "0001-01-01T00:00", "0001-01-01T01:00", id="0001-far-east"),
    pytest.param("Europe/London", "2100-01-01T10:00", "2100-01-01T11:00", id="2100"),
    pytest.param("Europe/London", "1999-12-31T10:00", "1999-12-31T11:00", id="1999"),
]


@pytest.mark.parametrize(("zone", "starts", "ends"), CASES)
def test_a_new_event_out_of_range_is_a_field_error(client, signed_in, zone, starts, ends):
    response = client.post(
        "/manage/events/new",
        data=event_form(timezone=zone, starts_local=starts, ends_local=ends),
    )
    assert response.status_code == 400, response.status_code
    page = response.get_data(as_text=True)
    message = field_error(page, "starts_local")
    assert message == f"Enter a date from {EARLIEST_YEAR} to {LATEST_YEAR}."
    assert field_error(page, "ends_local") == message
    assert count_events() == 0


@pytest.mark.parametrize(("zone", "starts", "ends"), CASES)
def test_an_edit_out_of_range_changes_nothing(client, create_via_form, zone, starts, ends):
    event_id = create_via_form()
    before = get_event(event_id)
    saved = (before.starts_at, before.ends_at, before.timezone)
    response = client.post(
        f"/manage/events/{event_id}/edit",
        data=event_form(timezone=zone, starts_local=starts, ends_local=ends),
    )
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "starts_local")
    after = get_event(event_id)
    assert (after.starts_at, after.ends_at, after.timezone) == saved


def test_the_first_and_last_minutes_of_the_range_are_accepted(client, create_via_form):
    first = create_via_form(timezone="Pacific/Kiritimati", starts_local="2000-01-01T00:00",
                            ends_local="2000-01-01T01:00")  # fmt: skip
    last = create_via_form(timezone="Pacific/Honolulu", starts_local="2099-12-31T22:00",
                           ends_local="2099-12-31T23:59")  # fmt: skip
    assert get_event(first).starts_at.year == 1999  # 14 hours ahead of UTC
    assert get_event(last).ends_at.year == 2100
