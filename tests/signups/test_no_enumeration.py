"""Registering again answers exactly like a first registration, and mails at most once an
hour per (event, email): the form can neither tell who is registered nor bomb an inbox."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from campaign.extensions import db
from campaign.mail.models import OutboxMessage
from campaign.signups.models import Registration
from tests.signups.conftest import BASE_URL, count, delivered, outbox


def _answer(response) -> tuple[int, str | None, bytes]:
    return response.status_code, response.headers.get("Location"), response.get_data()


def _age_mail(hours: float) -> None:
    """Pretend every queued message was written `hours` earlier."""
    db.session.rollback()
    for row in outbox():
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id)
            .values(created_at=row.created_at - timedelta(hours=hours))
        )
    db.session.commit()


@pytest.mark.parametrize("capacity", [None, 1], ids=["seat", "waitlist"])
def test_registering_again_gives_the_same_answer(make_organizer, make_event, signup, capacity):
    event = make_event(make_organizer(), capacity=capacity)
    if capacity:
        signup(event, email="someone.else@example.org")
    first = signup(event, email="sam@example.org")
    again = signup(event, name="Not Sam", email="Sam@Example.ORG")
    stranger = signup(event, email="stranger@example.org")
    assert _answer(first) == _answer(again) == _answer(stranger)
    assert first.status_code == 303
    assert count(Registration) == (3 if capacity else 2)


def test_a_second_attempt_within_the_hour_mails_nothing(make_organizer, make_event, signup):
    event = make_event(make_organizer())
    signup(event, email="sam@example.org")
    for _ in range(5):
        signup(event, email="sam@example.org")
    assert len(outbox(to="sam@example.org")) == 1
    _age_mail(0.9)
    signup(event, email="sam@example.org")
    assert len(outbox(to="sam@example.org")) == 1


@pytest.mark.parametrize("capacity", [None, 1], ids=["confirmed", "waitlisted"])
def test_after_an_hour_one_reminder_of_the_link_is_sent(
    app, make_organizer, make_event, signup, capacity, tmp_path
):
    event = make_event(make_organizer(), capacity=capacity)
    if capacity:
        signup(event, email="first@example.org")
    signup(event, email="sam@example.org")
    [original] = outbox(to="sam@example.org")
    _age_mail(1.01)
    for _ in range(3):
        signup(event, email="sam@example.org")
    mails = outbox(to="sam@example.org")
    assert len(mails) == 2
    resend = mails[1]
    assert resend.kind == original.kind
    assert resend.dedupe_key != original.dedupe_key
    sent = [m for m in delivered(app, tmp_path / "mail") if m.to == "sam@example.org"]
    assert len(sent) == 2
    assert re.search(r"again|still", str(sent[1].message["Subject"])), sent[1].message["Subject"]
    assert f"{BASE_URL}/r/" in sent[1].text
    # The clock starts again from the resend.
    _age_mail(0.5)
    signup(event, email="sam@example.org")
    assert len(outbox(to="sam@example.org")) == 2


def test_the_answer_for_a_full_event_does_not_tell_who_is_registered(
    make_organizer, make_event, signup
):
    event = make_event(make_organizer(), capacity=1, is_waitlist_enabled=False)
    assert signup(event, email="holder@example.org").status_code == 303
    registered = signup(event, email="holder@example.org")
    stranger = signup(event, email="stranger@example.org")

    def comparable(response) -> tuple[int, str | None, str]:
        page = response.get_data(as_text=True)
        page = re.sub(r'name="started" type="hidden" value="[^"]*"', "", page)
        page = re.sub(r'id="email"[^>]*>', "", page)
        return response.status_code, response.headers.get("Location"), page

    assert comparable(registered) == comparable(stranger)
    assert stranger.status_code == 409
    assert count(Registration) == 1
