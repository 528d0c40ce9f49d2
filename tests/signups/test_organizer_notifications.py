"""Issue 15, point 12: an organizer chooses a mail per sign-up or cancellation on their
events, a daily digest, or nothing. Mail is data: the scheduler's notifications job
queues outbox rows from what changed since the organizer's watermark."""

from __future__ import annotations

from datetime import timedelta

import pytest

from campaign import scheduler
from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.organizers import notifications
from campaign.organizers.models import Organizer
from campaign.signups import privacy
from campaign.signups import seats as signup_seats
from campaign.signups.models import DELETED_SUPPORTER
from tests.conftest import PASSWORD, csrf_token
from tests.core.support import with_config
from tests.events.conftest import checked_radio
from tests.signups.conftest import delivered, outbox

MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


@pytest.fixture
def owner(make_organizer):
    return make_organizer(email="owner@example.org")


def _mode(owner_id: int, mode: str, at) -> None:  # type: ignore[no-untyped-def]
    organizer = db.session.get(Organizer, owner_id)
    assert organizer is not None
    notifications.set_mode(organizer, mode, at)
    db.session.commit()


def _to_owner(app, tmp_path):  # type: ignore[no-untyped-def]
    return [m for m in delivered(app, tmp_path / "mail") if m.to == "owner@example.org"]


def test_the_settings_page_saves_a_choice_and_refuses_others(client, login_as, owner):
    assert client.get("/manage/notifications").status_code == 302  # sign in first
    login_as(owner)
    page = client.get("/manage/notifications").get_data(as_text=True)
    assert checked_radio(page, "mode") == "off"
    response = client.post("/manage/notifications", data={"mode": "each"})
    assert response.status_code == 303
    db.session.rollback()
    assert db.session.get(Organizer, owner.id).notify_mode == "each"  # type: ignore[union-attr]
    page = client.get("/manage/notifications").get_data(as_text=True)
    assert "a mail for each sign-up" in page and checked_radio(page, "mode") == "each"
    for bad in ("hourly", "", "EACH"):
        assert client.post("/manage/notifications", data={"mode": bad}).status_code == 400
    db.session.rollback()
    assert db.session.get(Organizer, owner.id).notify_mode == "each"  # type: ignore[union-attr]


@with_config(WTF_CSRF_ENABLED=True)
def test_the_settings_page_needs_the_form_token(client, owner):
    token = csrf_token(client.get("/manage/login").get_data(as_text=True))
    client.post(
        "/manage/login", data={"email": owner.email, "password": PASSWORD, "csrf_token": token}
    )
    assert client.post("/manage/notifications", data={"mode": "each"}).status_code == 400
    db.session.rollback()
    assert db.session.get(Organizer, owner.id).notify_mode == "off"  # type: ignore[union-attr]


def test_a_mail_for_each_sign_up_and_cancellation_on_my_events_only(
    app, owner, make_organizer, make_event, register, tmp_path
):
    now = utcnow() - HOUR  # the job's times are past, so the deliverer sends at once
    mine = make_event(owner, capacity=1)
    theirs = make_event(make_organizer())
    register(mine, "Early Bird", "early@example.org", now=now - HOUR)  # before: not told
    _mode(owner.id, "each", now - 30 * MINUTE)
    ann = register(mine, "Ann Lee", "ann@example.org", now=now - 10 * MINUTE)
    register(theirs, "Tom Theirs", "tom@example.org", now=now - 10 * MINUTE)
    assert scheduler.JOBS[2].name == "notifications"
    assert notifications.run_job(now) == {"notices": 1, "digests": 0}
    assert notifications.run_job(now + MINUTE) == {"notices": 0, "digests": 0}, "told once"

    signup_seats.cancel(db.session.merge(ann), now + 2 * MINUTE)
    db.session.commit()
    assert notifications.run_job(now + 3 * MINUTE) == {"notices": 1, "digests": 0}
    mails = _to_owner(app, tmp_path)
    assert [str(m.message["Subject"]) for m in mails] == [
        f"New sign-up: Ann Lee, {mine.title}",
        f"Cancellation: Ann Lee, {mine.title}",
    ]
    # Each is written when sent, from the registration as it is then.
    assert "Ann Lee registered for" in mails[0].text
    assert "They have cancelled since." in mails[0].text
    assert "Now: 1 with a place of 1, 0 on the waitlist." in mails[0].text
    assert f"/manage/events/{mine.id}/attendees" in mails[0].text
    assert "/manage/notifications" in mails[0].text
    assert "Tom" not in " ".join(m.text for m in mails)


def test_a_deleted_person_is_a_deleted_supporter_in_a_notice(
    app, owner, make_event, register, tmp_path
):
    now = utcnow() - HOUR
    event = make_event(owner)
    _mode(owner.id, "each", now - HOUR)
    ann = register(event, "Ann Lee", "ann@example.org", now=now - 10 * MINUTE)
    notifications.run_job(now)
    privacy.anonymise(db.session.merge(ann), now + MINUTE)  # before the notice is sent
    db.session.commit()
    [notice] = [m for m in _to_owner(app, tmp_path) if "sign-up" in str(m.message["Subject"])]
    assert DELETED_SUPPORTER in notice.text and "Ann" not in notice.text


def test_a_burst_of_sign_ups_makes_one_summary(app, owner, make_event, register, tmp_path):
    now = utcnow()
    event = make_event(owner)
    _mode(owner.id, "each", now - HOUR)
    for n in range(notifications.MAX_NOTICES_PER_RUN + 1):
        register(event, f"Person {n}", f"p{n}@example.org", now=now - 10 * MINUTE)
    assert notifications.run_job(now) == {"notices": 0, "digests": 1}
    [summary] = _to_owner(app, tmp_path)
    assert str(summary.message["Subject"]) == "Sign-ups on your events: 11 new, 0 cancelled"


def test_a_daily_digest_only_on_days_something_changed(app, owner, make_event, register, tmp_path):
    start = utcnow() - 3 * DAY
    event = make_event(owner)
    _mode(owner.id, "digest", start)
    register(event, "Ann Lee", "ann@example.org", now=start + HOUR)
    register(event, "Ben Ode", "ben@example.org", now=start + 2 * HOUR)
    assert notifications.run_job(start + 12 * HOUR) == {"notices": 0, "digests": 0}
    assert notifications.run_job(start + DAY + MINUTE) == {"notices": 0, "digests": 1}
    assert notifications.run_job(start + DAY + 2 * HOUR) == {"notices": 0, "digests": 0}
    # A quiet day: no mail.
    assert notifications.run_job(start + 2 * DAY + 2 * MINUTE) == {"notices": 0, "digests": 0}
    [digest] = _to_owner(app, tmp_path)
    assert str(digest.message["Subject"]) == "Sign-ups on your events: 2 new, 0 cancelled"
    assert f"{event.title} (" in digest.text and "2 new, 0 cancelled" in digest.text


def test_off_and_disabled_organizers_get_nothing(app, owner, make_event, register, tmp_path):
    now = utcnow()
    event = make_event(owner)
    _mode(owner.id, "each", now - HOUR)
    _mode(owner.id, "off", now - 50 * MINUTE)
    register(event, "Ann Lee", "ann@example.org", now=now - 10 * MINUTE)
    assert notifications.run_job(now) == {"notices": 0, "digests": 0}
    _mode(owner.id, "each", now)
    row = db.session.get(Organizer, owner.id)
    assert row is not None
    row.is_enabled = False
    db.session.commit()
    register(event, "Ben Ode", "ben@example.org", now=now + MINUTE)
    assert notifications.run_job(now + 2 * MINUTE) == {"notices": 0, "digests": 0}
    assert _to_owner(app, tmp_path) == []
    assert not [m for m in outbox() if m.kind.startswith("organizer_")]


def test_set_mode_refuses_unknown_modes(owner):
    organizer = db.session.get(Organizer, owner.id)
    assert organizer is not None
    with pytest.raises(ValueError):
        notifications.set_mode(organizer, "weekly", utcnow())
    assert organizer.notify_mode == "off"
