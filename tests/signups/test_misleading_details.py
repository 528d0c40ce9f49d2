"""Issue 15, point 16: details that mislead. The change notice says what changed from what
to what; the thank-you's share links point at the campaign and the events to come; a
never-published draft offers no "Cancel event"; check-in outside the event's days warns;
one separator above the broadcast footer; the data export holds the unsubscribe state and
the share link that brought the person; the manage page offers re-subscribing."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from campaign.core.timeutil import utcnow
from campaign.events.models import Event
from campaign.extensions import db
from campaign.reminders import services as reminder_services
from campaign.signups import privacy
from campaign.signups import seats as signup_seats
from campaign.signups.models import Registration
from tests.core.support import with_config
from tests.signups.conftest import (
    BASE_URL,
    delivered,
    edit_event,
    only_registration,
    token_of,
)


@pytest.fixture
def owner(make_organizer):
    return make_organizer(email="owner@example.org")


def _form_time(instant, tz: str = "Europe/London") -> str:
    return instant.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M")


def _changed(app, tmp_path):
    return [m for m in delivered(app, tmp_path / "mail") if m.kind == "event_changed"]


# --- the change notice ----------------------------------------------------------------------


def test_change_notice_names_what_changed_from_what_to_what(
    app, client, login_as, owner, make_event, register, tmp_path
):
    event = make_event(owner, venue="Town Hall", city="Leeds")
    register(event, "Ada Lovelace", "ada@example.org")
    delivered(app, tmp_path / "mail")  # the confirmation
    old_when = event.when_text
    login_as(owner)

    new_start = event.starts_at + timedelta(hours=1)
    edit_event(
        client,
        event.id,
        starts_local=_form_time(new_start),
        ends_local=_form_time(new_start + timedelta(hours=2)),
    )
    [moved] = _changed(app, tmp_path)
    new_when = db.session.get(Event, event.id).when_text  # type: ignore[union-attr]
    assert moved.message["Subject"] == f"Updated: {event.title} has a new time"
    assert f"Time was: {old_when}" in moved.text and f"Time now: {new_when}" in moved.text
    assert "Place" not in moved.text and "time or place" not in moved.text
    assert old_when in moved.html and new_when in moved.html

    edit_event(client, event.id, venue="Corn Exchange")
    [placed] = _changed(app, tmp_path)
    assert placed.message["Subject"] == f"Updated: {event.title} has a new place"
    assert "Place was: Town Hall, Leeds" in placed.text
    assert "Place now: Corn Exchange, Leeds" in placed.text
    assert "Time was" not in placed.text

    later = new_start + timedelta(days=1)
    edit_event(
        client,
        event.id,
        venue="Town Hall",
        starts_local=_form_time(later),
        ends_local=_form_time(later + timedelta(hours=2)),
    )
    [both] = _changed(app, tmp_path)
    assert both.message["Subject"] == f"Updated: {event.title} has a new time and place"

    # A change that moves nothing sends no notice at all.
    edit_event(client, event.id, summary="Another summary.")
    assert _changed(app, tmp_path) == []

    # Moving only the map pin updates the calendar entry (its SEQUENCE and GEO) but has
    # nothing to say in words, so it mails no one.
    sequence = db.session.get(Event, event.id).sequence  # type: ignore[union-attr]
    edit_event(client, event.id, latitude="53.7997", longitude="-1.5492")
    assert _changed(app, tmp_path) == []
    db.session.expire_all()
    moved_pin = db.session.get(Event, event.id)
    assert moved_pin is not None and moved_pin.sequence == sequence + 1
    calendar = client.get(f"/events/{moved_pin.slug}/calendar.ics").get_data(as_text=True)
    assert f"SEQUENCE:{sequence + 1}" in calendar and "GEO:53.799700;-1.549200" in calendar


def test_a_new_online_link_is_named_but_never_quoted(
    app, client, login_as, owner, make_event, register, tmp_path
):
    event = make_event(owner, format="online", venue="", city="", join_url="https://a.example/1")
    register(event, "Ada Lovelace", "ada@example.org")
    delivered(app, tmp_path / "mail")
    login_as(owner)
    edit_event(client, event.id, join_url="https://b.example/2")
    [notice] = _changed(app, tmp_path)
    assert "Online link: changed" in notice.text
    assert "a.example" not in notice.text  # the old link is not repeated


# --- the thank-you --------------------------------------------------------------------------


def test_thank_you_points_at_the_campaign_and_the_next_events(
    app, owner, make_event, register, tmp_path
):
    event = make_event(owner)
    register(event, "Ada Lovelace", "ada@example.org")
    delivered(app, tmp_path / "mail")
    now = utcnow()
    row = db.session.get(Event, event.id)
    assert row is not None
    row.starts_at, row.ends_at = now - timedelta(hours=5), now - timedelta(hours=3)
    db.session.commit()
    assert reminder_services.enqueue_thank_yous(now) == 1
    db.session.commit()
    [thanks] = [m for m in delivered(app, tmp_path / "mail") if m.kind == "thank_you"]
    assert f"Share the campaign: {BASE_URL}/" in thanks.text
    assert f"{BASE_URL}/events" in thanks.text
    for part in (thanks.text, thanks.html):
        assert f"/events/{event.slug}" not in part, "no share link to the ended event"


# --- a draft and cancelling ---------------------------------------------------------------


def test_a_never_published_draft_offers_no_cancel(client, login_as, owner, make_event):
    draft = make_event(owner, status="draft", published_at=None)
    login_as(owner)
    page = client.get(f"/manage/events/{draft.id}").get_data(as_text=True)
    assert "Cancel event" not in page
    assert client.post(f"/manage/events/{draft.id}/cancel").status_code == 302
    assert "never published" in client.get(f"/manage/events/{draft.id}").get_data(True)
    db.session.rollback()
    assert db.session.get(Event, draft.id).status == "draft"  # type: ignore[union-attr]

    # Published once, then unpublished: people may hold places, so cancelling is offered.
    client.post(f"/manage/events/{draft.id}/publish")
    client.post(f"/manage/events/{draft.id}/unpublish")
    page = client.get(f"/manage/events/{draft.id}").get_data(as_text=True)
    assert "Cancel event" in page


# --- check-in outside the event's day -----------------------------------------------------


@pytest.mark.parametrize(
    ("start_offset", "warning"),
    [
        (timedelta(days=14), "Checked in early"),
        (timedelta(days=-14), "Checked in after the event"),
        (timedelta(minutes=-30), None),
    ],
)
def test_check_in_outside_the_events_days_warns_but_works(
    client, login_as, owner, make_event, register, start_offset, warning
):
    starts = utcnow() + start_offset
    event = make_event(owner, starts_at=starts, ends_at=starts + timedelta(hours=2))
    ada = register(event, "Ada Lovelace", "ada@example.org", now=starts - timedelta(days=1))
    login_as(owner)
    url = f"/manage/events/{event.id}/attendees"
    client.post(f"{url}/{ada.id}/check-in", data={"checked_in": "1"})
    page = client.get(url).get_data(as_text=True)
    assert only_registration("ada@example.org").checked_in_at is not None
    if warning:
        assert warning in page and "alert--warning" in page
    else:
        assert "alert--warning" not in page
    # Undoing never warns.
    client.post(f"{url}/{ada.id}/check-in", data={"checked_in": "0"})
    page = client.get(url).get_data(as_text=True)
    assert "alert--warning" not in page


# --- the broadcast footer -----------------------------------------------------------------


def test_broadcast_has_one_separator_above_its_footer(app, owner, make_event, register, tmp_path):
    event = make_event(owner)
    register(event, "Ada Lovelace", "ada@example.org")
    delivered(app, tmp_path / "mail")
    signup_seats.lock_event(event.id)
    reminder_services.send_broadcast(
        db.session.get(Event, event.id),  # type: ignore[arg-type]
        owner.id, "confirmed", "Bring water", "It will be warm.", utcnow(),
    )  # fmt: skip
    db.session.commit()
    [message] = [m for m in delivered(app, tmp_path / "mail") if m.kind == "broadcast"]
    lines = message.text.splitlines()
    assert lines.count("--") == 1, message.text
    assert "A message from the organizers" in message.text


# --- export and re-subscribe --------------------------------------------------------------


def test_export_holds_unsubscribe_state_and_the_link_that_brought_me(
    client, owner, make_event, register
):
    event = make_event(owner)
    ada = register(event, "Ada Lovelace", "ada@example.org")
    bea = register(event, "Bea Brought", "bea@example.org", referral_code=ada.referral_code)
    privacy.unsubscribe(bea)
    db.session.commit()
    data = json.loads(client.get(f"/r/{token_of('bea@example.org')}/export.json").data)
    assert data["unsubscribed_from_reminders_and_updates"] is True
    assert data["registered_through_share_link"] is True
    assert data["share_link_code_followed"] == ada.referral_code
    assert "Ada" not in json.dumps(data) and "ada@" not in json.dumps(data)
    mine = json.loads(client.get(f"/r/{token_of('ada@example.org')}/export.json").data)
    assert mine["unsubscribed_from_reminders_and_updates"] is False
    assert mine["registered_through_share_link"] is False
    assert mine["share_link_code_followed"] is None


def test_manage_page_offers_resubscribe_and_it_works(client, owner, make_event, register):
    event = make_event(owner)
    other = make_event(owner)
    ada = register(event, "Ada Lovelace", "ada@example.org")
    register(other, "Ada Lovelace", "ada@example.org")
    token = token_of("ada@example.org")
    assert "Get reminders and updates again" not in client.get(f"/r/{token}").get_data(True)
    privacy.unsubscribe(ada)
    db.session.commit()
    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert "Get reminders and updates again" in page

    assert client.post("/r/not-a-token/resubscribe").status_code == 404
    response = client.post(f"/r/{token}/resubscribe")
    assert response.status_code == 303
    db.session.rollback()
    rows = db.session.query(Registration).filter_by(email="ada@example.org").all()
    assert len(rows) == 2 and not any(r.is_unsubscribed for r in rows)
    assert "Get reminders and updates again" not in client.get(f"/r/{token}").get_data(True)


@with_config(WTF_CSRF_ENABLED=True)
def test_resubscribe_needs_the_form_token(client, owner, make_event, register):
    event = make_event(owner)
    ada = register(event, "Ada Lovelace", "ada@example.org")
    privacy.unsubscribe(ada)
    db.session.commit()
    assert client.post(f"/r/{token_of('ada@example.org')}/resubscribe").status_code == 400
    assert only_registration("ada@example.org").is_unsubscribed
