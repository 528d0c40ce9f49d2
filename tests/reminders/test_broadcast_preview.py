"""Issue 15, point 7: broadcasts are not sent blind. A preview as a real recipient gets it
(text and HTML), how many people each audience reaches, a test copy to the organizer,
one greeting only, Markdown as in descriptions, and one click from the event page."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.reminders import broadcasts
from campaign.signups import privacy
from campaign.signups.models import Registration
from tests.conftest import PASSWORD, csrf_token
from tests.core.support import with_config
from tests.reminders.conftest import base_time, deliver, delivered, register, rows, text_of


def _page(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def _post(client, event_id: int, action: str, **data: str):  # type: ignore[no-untyped-def]
    form = {"audience": "confirmed", "subject": "Bring water", "body": "It will be warm."}
    form.update(data)
    return client.post(f"/manage/events/{event_id}/broadcast", data={**form, "action": action})


def _preview_text(page: str) -> str:
    match = re.search(r'<pre class="mail-preview__text" id="preview-text">(.*?)</pre>', page, re.S)
    assert match, "no text preview"
    return html.unescape(match.group(1))


def _preview_html(page: str) -> str:
    match = re.search(r'srcdoc="([^"]*)"', page)
    assert match, "no HTML preview"
    return html.unescape(match.group(1))


def test_has_own_greeting():
    for body in ("Hi all,", "hello everyone", "  Dear friends", "Good morning!", "Hey team"):
        assert broadcasts.has_own_greeting(body), body
    for body in ("Bring water.", "Higher ground", "This is it", "", "Hiking boots needed"):
        assert not broadcasts.has_own_greeting(body), body


def test_event_page_links_to_message_attendees(client, login_as, organizer, event_at):
    event = event_at(base_time())
    login_as(organizer)
    page = _page(client.get(f"/manage/events/{event.id}"))
    assert f'href="/manage/events/{event.id}/broadcast">Message attendees</a>' in page


def test_counts_per_audience_leave_out_the_unsubscribed_and_deleted(
    client, login_as, organizer, event_at
):
    event = event_at(base_time(), capacity=2)
    now = utcnow()
    for n, email in enumerate(["ann", "ben", "cat", "dan", "eve"]):
        register(event, f"{email}@example.org", now, name=f"Person{n} {email}")
    dan = db.session.query(Registration).filter_by(email="dan@example.org").one()
    privacy.unsubscribe(dan)  # waitlisted, unsubscribed
    eve = db.session.query(Registration).filter_by(email="eve@example.org").one()
    privacy.anonymise(eve, now)  # waitlisted, then deleted their data
    db.session.commit()
    assert broadcasts.audience_counts(event.id) == {
        "confirmed": 2,
        "waitlisted": 1,
        "active": 3,
        "unsubscribed": 1,
    }
    login_as(organizer)
    page = _page(client.get(f"/manage/events/{event.id}/broadcast"))
    assert 'People with a place <span class="count">(2 people)</span>' in page
    assert 'People on the waitlist <span class="count">(1 person)</span>' in page
    assert "1 registered person has unsubscribed" in page
    assert "Send to <span>2 people</span>" in page


def test_preview_shows_text_and_html_as_the_first_recipient_gets_them(
    app, client, login_as, organizer, event_at, smtp
):
    event = event_at(base_time())
    register(event, "ann@example.org", utcnow(), name="Ann Lee")
    register(event, "ben@example.org", utcnow(), name="Ben Ode")
    login_as(organizer)
    body = "Please bring **water** and:\n\n- a hat\n- sun cream\n\nSee [the map](https://example.org/map)."
    response = _post(client, event.id, "preview", body=body)
    assert response.status_code == 200
    page = _page(response)
    assert "style-src 'self' 'unsafe-inline'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert rows("broadcast") == [] and rows("broadcast_test") == [], "a preview sends nothing"

    text = _preview_text(page)
    assert text.startswith("Hello Ann,\n\nPlease bring **water**")
    assert "A message from the organizers of" in text and text.count("\n--\n") == 1
    assert "/r/" in text, "the manage link is where a recipient finds it"
    mail_html = _preview_html(page)
    assert "<strong>water</strong>" in mail_html
    assert "<li>a hat</li>" in mail_html
    assert (
        '<a href="https://example.org/map" rel="nofollow noopener noreferrer">the map' in mail_html
    )
    assert "Hello Ann," in mail_html
    # The stand-in's personal links open nothing.
    manage_path = re.search(r"https://campaign\.example\.org(/r/[\w-]+)", text)
    assert manage_path and client.get(manage_path.group(1)).status_code == 404
    # The real mail, once sent, says the same.
    _post(client, event.id, "send", body=body)
    deliver(utcnow())
    [ann] = delivered(smtp, "broadcast", to="ann@example.org")
    sent = text_of(ann).replace("\r\n", "\n")
    assert sent.split("/r/")[0] == text.split("/r/")[0]


def test_no_double_greeting(app, client, login_as, organizer, event_at, smtp):
    event = event_at(base_time())
    register(event, "ann@example.org", utcnow(), name="Ann Lee")
    login_as(organizer)
    page = _page(_post(client, event.id, "preview", body="Hi all,\n\nBring water."))
    text = _preview_text(page)
    assert text.startswith("Hi all,") and "Hello Ann" not in text
    assert "Hello Ann" not in _preview_html(page)
    _post(client, event.id, "send", body="Hi all,\n\nBring water.")
    deliver(utcnow())
    [ann] = delivered(smtp, "broadcast", to="ann@example.org")
    assert "Hello Ann" not in text_of(ann) and text_of(ann).startswith("Hi all,")


def test_send_a_test_to_me_goes_to_the_organizer_only(
    app, client, login_as, organizer, event_at, smtp
):
    event = event_at(base_time())
    register(event, "ann@example.org", utcnow(), name="Ann Lee")
    login_as(organizer)
    response = _post(client, event.id, "test")
    assert response.status_code == 200
    assert "A test copy is on its way to organizer.a@example.org" in _page(response)
    assert rows("broadcast") == []
    [queued] = rows("broadcast_test")
    assert queued.to_email == organizer.email and queued.registration_id is None
    deliver(utcnow())
    attempts = [a for a in smtp.received if a.message_id == queued.message_id]
    assert [list(a.rcpt_tos) for a in attempts] == [[organizer.email]]
    message = attempts[0].message()
    assert str(message["Subject"]) == "[Test] Bring water"
    text = text_of(message)
    assert "Test: only you got this copy" in text and "Hello Ann," in text
    assert "It will be warm." in text
    assert message["List-Unsubscribe"] is None
    assert not delivered(smtp, "broadcast")


def test_test_sends_are_limited_and_bad_input_sends_nothing(client, login_as, organizer, event_at):
    event = event_at(base_time())
    register(event, "ann@example.org", utcnow(), name="Ann Lee")
    login_as(organizer)
    for _ in range(broadcasts.TEST_LIMIT):
        assert _post(client, event.id, "test").status_code == 200
    response = _post(client, event.id, "test")
    assert "You sent 5 tests" in _page(response)
    assert len(rows("broadcast_test")) == broadcasts.TEST_LIMIT

    for bad in ({"subject": ""}, {"body": ""}, {"audience": "nobody"}, {"body": "a\x00b"}):
        for action in ("preview", "test", "send"):
            response = _post(client, event.id, action, **bad)
            assert response.status_code == 400, (bad, action)
            assert 'id="preview"' not in _page(response)
    assert rows("broadcast") == [] and len(rows("broadcast_test")) == broadcasts.TEST_LIMIT
    # The limit is per window: later, tests are possible again.
    later = utcnow() + broadcasts.TEST_WINDOW + timedelta(minutes=1)
    event_row = db.session.merge(event)
    broadcasts.queue_test(event_row, organizer.email, "confirmed", "S", "B", later)
    db.session.rollback()


@with_config(WTF_CSRF_ENABLED=True)
def test_broadcast_actions_need_the_form_token(client, organizer, event_at):
    event = event_at(base_time())
    register(event, "ann@example.org", utcnow(), name="Ann Lee")
    token = csrf_token(_page(client.get("/manage/login")))
    signed_in = client.post(
        "/manage/login",
        data={"email": organizer.email, "password": PASSWORD, "csrf_token": token},
    )
    assert signed_in.status_code == 302
    for action in ("preview", "test", "send"):
        assert _post(client, event.id, action).status_code == 400
    assert rows("broadcast") == [] and rows("broadcast_test") == []


def test_other_organizers_cannot_preview_or_test(client, login_as, make_organizer, event_at):
    event = event_at(base_time())
    register(event, "ann@example.org", utcnow(), name="Ann Lee")
    login_as(make_organizer(email="other@example.org"))
    for action in ("preview", "test", "send"):
        assert _post(client, event.id, action).status_code == 404
    assert rows("broadcast_test") == []
