"""The page after registering: next steps, the event, calendar and share tools, and "send
the mail again", all the same whatever address was typed."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from campaign.extensions import db
from campaign.mail.models import OutboxMessage
from campaign.signups import guard
from tests.core.support import with_config
from tests.signups.conftest import outbox


def _age_mail(minutes: float) -> None:
    db.session.rollback()
    for row in outbox():
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id)
            .values(created_at=row.created_at - timedelta(minutes=minutes))
        )
    db.session.commit()


@pytest.fixture
def resend(client):
    """resend(event, email, **fields) -> the response to "send the mail again"."""

    def post(event, email, **fields):
        assert client.get(f"/events/{event.slug}/registered").status_code == 200
        # The page's form token, made a minute before (as a person takes to type).
        started = guard.form_token(guard.form_keys(), "resend:" + event.slug, now=time.time() - 60)
        data = {"email": email, "website": "", "started": started, **fields}
        return client.post(f"/events/{event.slug}/registered/resend", data=data)

    return post


def test_the_page_after_registering_shows_the_next_steps(
    client, make_organizer, make_event, signup
):
    event = make_event(make_organizer(), summary="Talk and questions.")
    response = signup(event)
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(True)
    assert "Check your inbox" in html
    assert "spam" in html
    assert "Talk and questions." in html
    assert event.when_text in html
    assert f"/events/{event.slug}/calendar.ics" in html
    assert "calendar.google.com" in html
    assert "outlook" in html.lower()
    assert "/cards/" in html  # the event card to share
    assert "data-local-time" in html
    assert f'action="/events/{event.slug}/registered/resend"' in html


def test_a_cancelled_events_page_offers_no_calendar_or_resend(client, make_organizer, make_event):
    event = make_event(make_organizer(), status="cancelled")
    html = client.get(f"/events/{event.slug}/registered").get_data(True)
    assert "This event is cancelled" in html
    assert "calendar.ics" not in html and "calendar.google.com" not in html
    assert "/registered/resend" not in html


def test_resend_sends_to_a_registered_address_and_answers_alike_for_a_stranger(
    client, make_organizer, make_event, signup, resend
):
    event = make_event(make_organizer())
    signup(event, email="sam@example.org")
    _age_mail(11)
    known = resend(event, "Sam@Example.org")
    stranger = resend(event, "nobody@example.org")
    assert known.status_code == stranger.status_code == 303
    assert known.headers["Location"] == stranger.headers["Location"]
    mails = outbox(to="sam@example.org")
    assert len(mails) == 2 and mails[1].params["resend"] is True
    assert outbox(to="nobody@example.org") == []
    html = client.get(known.headers["Location"]).get_data(True)
    assert "If this address is registered for this event, we have sent its mail again" in html


def test_resend_sends_at_most_one_copy_in_ten_minutes(make_organizer, make_event, signup, resend):
    event = make_event(make_organizer())
    signup(event, email="sam@example.org")
    resend(event, "sam@example.org")  # the first mail is minutes old: nothing more
    assert len(outbox(to="sam@example.org")) == 1
    _age_mail(11)
    resend(event, "sam@example.org")
    resend(event, "sam@example.org")
    assert len(outbox(to="sam@example.org")) == 2


def test_resend_mails_nobody_about_a_cancelled_registration(
    make_organizer, make_event, register, resend
):
    from campaign.core.timeutil import utcnow
    from campaign.signups import seats

    event = make_event(make_organizer())
    registration = register(event, "Sam", "sam@example.org")
    seats.cancel(registration, utcnow())
    db.session.commit()
    before = len(outbox(to="sam@example.org"))
    _age_mail(11)
    resend(event, "sam@example.org")
    assert len(outbox(to="sam@example.org")) == before


@pytest.mark.parametrize("email", ["", "not-an-address", "a@b@c.org", "x" * 300 + "@example.org"])
def test_a_bad_address_is_refused_with_a_message_and_mails_nothing(
    make_organizer, make_event, resend, email
):
    event = make_event(make_organizer())
    response = resend(event, email)
    assert response.status_code == 400
    html = response.get_data(True)
    assert re.search(r'id="email-error"[^>]*>Enter (your|a valid) email address', html)
    assert outbox() == []


def test_the_honeypot_answers_like_a_person_and_sends_nothing(
    make_organizer, make_event, signup, resend
):
    event = make_event(make_organizer())
    signup(event, email="sam@example.org")
    _age_mail(11)
    response = resend(event, "sam@example.org", website="http://spam.example")
    assert response.status_code == 303
    assert len(outbox(to="sam@example.org")) == 1


@with_config(RATELIMIT_ENABLED=True, SIGNUP_RESEND_EMAIL_RATE_LIMIT="2 per hour")
def test_resends_are_limited_with_a_wait_and_the_address_kept(
    make_organizer, make_event, signup, resend
):
    event = make_event(make_organizer())
    for _ in range(2):
        assert resend(event, "someone@example.org").status_code == 303
    limited = resend(event, "someone@example.org")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    html = limited.get_data(True)
    assert "please wait" in html
    assert 'value="someone@example.org"' in html


def test_resend_for_an_unknown_event_is_404(client):
    assert client.get("/events/no-such-event/registered").status_code == 404
    response = client.post("/events/no-such-event/registered/resend", data={"email": "a@b.org"})
    assert response.status_code in (400, 404)
