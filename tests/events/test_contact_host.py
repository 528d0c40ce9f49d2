"""Contact the host: a visitor writes to an event's host through the app, never seeing
their address; honeypot, second step and limits as on the sign-up form."""

from __future__ import annotations

import time

import pytest
from flask import current_app
from sqlalchemy import select

from campaign.extensions import db
from campaign.mail.models import KIND_HOST_CONTACT, OutboxMessage
from campaign.signups import guard


def _messages() -> list[OutboxMessage]:
    db.session.rollback()
    return list(
        db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == KIND_HOST_CONTACT))
    )


@pytest.fixture
def write(client):
    """write(event, seconds_ago=60, **fields) -> the response to the contact form."""

    def post(event, seconds_ago: float = 60, **fields):
        assert client.get(f"/events/{event.slug}/contact").status_code == 200
        started = guard.form_token(
            current_app.config["SECRET_KEY"], "contact:" + event.slug, now=time.time() - seconds_ago
        )
        data = {
            "name": "Sam Jones",
            "email": "sam@example.org",
            "message": "Is there step-free access?",
            "website": "",
            "started": started,
            **fields,
        }
        return client.post(f"/events/{event.slug}/contact", data=data)

    return post


def test_the_event_page_links_to_the_form_and_never_shows_the_hosts_address(
    client, make_organizer, make_event
):
    organizer = make_organizer(email="host.secret@example.org")
    event = make_event(organizer)
    for url in (f"/events/{event.slug}", f"/events/{event.slug}/contact"):
        html = client.get(url).get_data(True)
        assert "host.secret@example.org" not in html
        assert "mailto:host" not in html
    assert f'href="/events/{event.slug}/contact"' in client.get(f"/events/{event.slug}").get_data(
        True
    )


def test_a_message_is_mailed_to_the_host_with_the_visitor_as_reply_to(
    app, client, make_organizer, make_event, write, tmp_path
):
    from tests.signups.conftest import delivered

    event = make_event(make_organizer(email="host@example.org"), title="Evening talk")
    response = write(event, message="Is there step-free access?\nThanks!")
    assert response.status_code == 303
    assert client.get(response.headers["Location"]).get_data(True).count("on its way") == 1
    [row] = _messages()
    assert row.to_email == "host@example.org"
    [mail] = [m for m in delivered(app, tmp_path / "mail") if m.kind == KIND_HOST_CONTACT]
    assert mail.message["Reply-To"] == "sam@example.org"
    assert "Evening talk" in str(mail.message["Subject"])
    assert "Is there step-free access?\nThanks!" in mail.text
    assert "Sam Jones" in mail.text


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", "Enter your name."),
        ({"email": "nope"}, "email", "Enter a valid email address"),
        ({"message": "   "}, "message", "Write your message."),
        ({"message": "x" * 2001}, "message", "Use at most 2000 characters"),
        ({"message": "hi\u202eevil"}, "message", "Remove the invisible control characters."),
    ],
)
def test_bad_input_is_refused_with_the_message_kept(
    make_organizer, make_event, write, fields, field, message
):
    event = make_event(make_organizer())
    response = write(event, **fields)
    assert response.status_code == 400
    html = response.get_data(True)
    assert f'id="{field}-error"' in html and message in html
    assert _messages() == []


def test_the_honeypot_answers_like_a_person_and_sends_nothing(make_organizer, make_event, write):
    event = make_event(make_organizer())
    response = write(event, website="http://spam.example")
    assert response.status_code == 303
    assert _messages() == []


def test_a_form_sent_back_too_fast_gets_a_second_step_that_passes(
    client, make_organizer, make_event, write, app
):
    app.config["SIGNUP_MIN_SECONDS"] = 3
    event = make_event(make_organizer())
    first = write(event, seconds_ago=0)
    assert first.status_code == 200
    html = first.get_data(True)
    assert "One more step" in html and "Is there step-free access?" in html
    assert _messages() == []
    token = html.split('name="started" type="hidden" value="')[1].split('"')[0]
    second = write(event, seconds_ago=0, started=token)
    assert second.status_code == 303
    assert len(_messages()) == 1


def test_a_sign_up_form_token_does_not_pass_the_contact_form(make_organizer, make_event, write):
    event = make_event(make_organizer())
    started = guard.form_token(current_app.config["SECRET_KEY"], event.slug, now=time.time() - 60)
    assert write(event, started=started).status_code == 200
    assert _messages() == []


def test_messages_are_limited_with_the_text_kept(app, make_organizer, make_event, write):
    app.config.update(RATELIMIT_ENABLED=True, CONTACT_RATE_LIMIT="2 per hour")
    event = make_event(make_organizer())
    assert write(event).status_code == 303
    assert write(event).status_code == 303
    limited = write(event, message="A third question")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert "A third question" in limited.get_data(True)
    assert len(_messages()) == 2


def test_drafts_have_no_contact_form(client, make_organizer, make_event):
    event = make_event(make_organizer(), status="draft", published_at=None)
    assert client.get(f"/events/{event.slug}/contact").status_code == 404
