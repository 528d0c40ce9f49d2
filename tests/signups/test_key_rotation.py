"""Rotating the secret key (README "Rotating the secret key"): with the old key in
SECRET_KEY_FALLBACKS, an organizer's session, a form's CSRF token, a registration form's
signed render time, a manage link and an unsubscribe link made under the old key all keep
working, and mail sent after the rotation carries links that work. Once the old key is
removed, what only it signed stops working and the next mail carries a fresh manage link."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from campaign.core.timeutil import utcnow
from campaign.events.models import Event
from campaign.extensions import db
from campaign.reminders import mails as reminder_mails
from campaign.signups.models import Registration
from tests.conftest import csrf_token
from tests.core.support import csrf_login, with_config
from tests.events.conftest import event_form
from tests.signups.conftest import deliver, manage_link, sign_started
from tests.support.keys import NEW_KEY, move_cookies, retired, rotated

OLD_KEY = "test-secret-key-not-for-production"  # tests/conftest.py's key


def _unsubscribe_path(text: str) -> str:
    match = re.search(r"https://campaign\.example\.org(/u/\d+/[A-Za-z0-9_-]+)", text)
    assert match, "no unsubscribe link in the mail"
    return match.group(1)


def _reminder(app, registration: Registration, directory) -> tuple[str, str]:
    """Queue a reminder and deliver it in `app`: (its manage path, its unsubscribe path)."""
    with app.app_context():
        row = db.session.get(Registration, registration.id)
        reminder_mails.queue_reminder(row, 60 + len(list(directory.glob("*.eml"))), utcnow())
        db.session.commit()
        [message] = deliver(app, directory)
    text = message.get_body(("plain",)).get_content()
    return manage_link(text), _unsubscribe_path(text)


def _registration(email: str) -> Registration:
    db.session.rollback()
    found = db.session.scalar(db.select(Registration).where(Registration.email == email))
    assert found is not None
    return found


@pytest.fixture
def event(make_organizer, make_event) -> Event:
    return make_event(make_organizer(), title="Rotation talk")


@with_config(WTF_CSRF_ENABLED=True)
def test_a_session_and_form_tokens_made_under_the_old_key_still_work(
    app, app_config, client, make_organizer, event
):
    assert app.config["SECRET_KEY"] == OLD_KEY
    organizer = make_organizer(email="planner@example.org")
    assert csrf_login(client, organizer.email).status_code == 302
    new_event_page = client.get("/manage/events/new").get_data(as_text=True)
    organizer_token = csrf_token(new_event_page)
    # A visitor opened the registration form before the rotation.
    started = sign_started(event, 60)

    with rotated(app_config, app) as new_app:
        assert new_app.config["SECRET_KEY"] == NEW_KEY
        browser = new_app.test_client()
        move_cookies(client, browser)
        # The session: still signed in.
        assert browser.get("/manage/").status_code == 200
        # The form token: the form sent back after the rotation is accepted.
        response = browser.post(
            "/manage/events/new", data=event_form(csrf_token=organizer_token, title="Kept")
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        assert "/manage/events/" in response.headers["Location"]
        assert "/login" not in response.headers["Location"]

        # The public registration form: its signed one-time token is accepted.
        person = new_app.test_client()
        response = person.post(
            f"/events/{event.slug}/register",
            data={"name": "Sam Jones", "email": "sam@example.org", "website": "",
                  "ref": "", "started": started},
        )  # fmt: skip
        assert response.status_code == 303, response.status_code
        assert _registration("sam@example.org").event_id == event.id

        # New sessions and tokens are signed with the new key.
        fresh = new_app.test_client()
        assert csrf_login(fresh, organizer.email).status_code == 302
        assert fresh.get("/manage/").status_code == 200

    # Once the old key is removed, what only it signed is refused.
    with retired(app_config, app) as newest:
        stale = newest.test_client()
        move_cookies(client, stale)
        response = stale.get("/manage/")
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_manage_and_unsubscribe_links_survive_a_rotation(
    app, app_config, event, register, tmp_path
):
    registration = register(event, "Sam Jones", "sam@example.org")
    directory = tmp_path / "mail"
    directory.mkdir()
    [confirmation] = deliver(app, directory)
    manage_before = manage_link(confirmation.get_body(("plain",)).get_content())
    reminder_manage, unsubscribe_before = _reminder(app, registration, directory)
    assert reminder_manage == manage_before

    with rotated(app_config, app) as new_app:
        browser = new_app.test_client()
        # Links mailed under the old key open the same registration.
        page = browser.get(manage_before)
        assert page.status_code == 200
        assert "Rotation talk" in page.get_data(as_text=True)
        assert browser.get(unsubscribe_before).status_code == 200
        # Mail sent after the rotation: the same manage link, an unsubscribe link that works.
        manage_after, unsubscribe_after = _reminder(new_app, registration, directory)
        assert manage_after == manage_before
        assert unsubscribe_after != unsubscribe_before  # signed with the new key
        assert browser.get(manage_after).status_code == 200
        response = browser.post(unsubscribe_before)
        assert response.status_code == 200
        assert _registration("sam@example.org").is_unsubscribed is True
        assert browser.get(unsubscribe_after).status_code == 200

    with retired(app_config, app) as newest:
        browser = newest.test_client()
        # The old unsubscribe signature is no longer accepted; the new one is.
        assert browser.get(unsubscribe_before).status_code == 404
        assert browser.get(unsubscribe_after).status_code == 200
        # The next mail re-issues the manage link under the new key; the old one stops.
        manage_new, _ = _reminder(newest, registration, directory)
        assert manage_new != manage_before
        assert browser.get(manage_new).status_code == 200
        assert browser.get(manage_before).status_code == 404


def test_a_registration_from_a_rotated_app_gets_a_working_link(app, app_config, event, tmp_path):
    """Registering after the rotation: the link in the confirmation uses the new key."""
    with rotated(app_config, app) as new_app:
        visitor = new_app.test_client()
        with new_app.app_context():
            started = sign_started(db.session.get(Event, event.id), 60)
        response = visitor.post(
            f"/events/{event.slug}/register",
            data={"name": "Ana Lee", "email": "ana@example.org", "website": "",
                  "ref": "", "started": started},
        )  # fmt: skip
        assert response.status_code == 303
        with new_app.app_context():
            [mail] = deliver(new_app, tmp_path / "mail")
        link = manage_link(mail.get_body(("plain",)).get_content())
        assert visitor.get(link).status_code == 200
    assert _registration("ana@example.org").created_at <= utcnow() + timedelta(seconds=1)
