"""`flask seed-scale`: many believable events and registrations, inserted in batches."""

from __future__ import annotations

from collections import Counter

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from campaign.campaigns.models import Campaign
from campaign.campaigns.scale import largest_event_id
from campaign.core.timeutil import utcnow
from campaign.events.models import Event
from campaign.extensions import db
from campaign.mail.models import OutboxMessage
from campaign.signups import services
from campaign.signups.models import Registration
from campaign.signups.tokens import manage_token


def _seed(runner: FlaskCliRunner, events: int, registrations: int) -> str:
    result = runner.invoke(
        args=[
            *("seed-scale", "--events", str(events)),
            *("--registrations", str(registrations), "--batch", "150"),
        ]
    )
    assert result.exit_code == 0, result.output
    db.session.remove()
    return result.output


def _count(model: type, *where: object) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_an_empty_database_gets_the_demo_then_the_scale_data(app: Flask, runner: FlaskCliRunner):
    output = _seed(runner, 30, 600)
    assert "Seeded the demo campaign first." in output
    assert "Added 600 registrations" in output
    campaign = db.session.scalars(select(Campaign)).one()
    assert _count(Event) == 9 + 30
    assert _count(Registration) == 600
    # Every registration has its sent status mail; cancelled ones also the cancellation.
    cancelled = _count(Registration, Registration.status == "cancelled")
    assert _count(OutboxMessage, OutboxMessage.status == "sent") == 600 + cancelled
    assert _count(OutboxMessage) == 600 + cancelled
    # One event draws about a tenth of everyone.
    largest = largest_event_id(campaign.id)
    assert _count(Registration, Registration.event_id == largest) == 60


def test_statuses_follow_the_sign_up_rules(app: Flask, runner: FlaskCliRunner):
    _seed(runner, 40, 900)
    now = utcnow()
    events = {e.id: e for e in db.session.scalars(select(Event))}
    by_event: dict[int, Counter] = {}
    for registration in db.session.scalars(select(Registration).order_by(Registration.id)):
        event = events[registration.event_id]
        assert event.status != "draft"
        assert registration.created_at < event.starts_at
        counts = by_event.setdefault(event.id, Counter())
        counts[registration.status] += 1
        if registration.status == "waitlisted":
            # Nobody waits while a seat is free: the seats went first, in arrival order.
            assert counts["confirmed"] == event.capacity
        if registration.checked_in_at is not None:
            assert registration.status == "confirmed" and event.ends_at <= now
        if registration.referred_by_id is not None:
            assert registration.referred_by_id < registration.id
            referrer = db.session.get(Registration, registration.referred_by_id)
            assert referrer is not None and referrer.event_id == event.id
    for event_id, counts in by_event.items():
        capacity = events[event_id].capacity
        assert capacity is None or counts["confirmed"] <= capacity
    statuses = sum(by_event.values(), Counter())
    assert statuses["confirmed"] and statuses["waitlisted"] and statuses["cancelled"]
    assert _count(Registration, Registration.referred_by_id.is_not(None))
    assert _count(Registration, Registration.checked_in_at.is_not(None))
    codes = db.session.scalars(select(Registration.referral_code)).all()
    assert len(set(codes)) == len(codes) and all(len(c) == 10 for c in codes)
    places = db.session.execute(select(Event.timezone, Event.format, Event.city)).all()
    assert len({tz for tz, _, _ in places}) > 5 and len({f for _, f, _ in places}) == 3


def test_seeded_people_have_working_links_and_the_app_keeps_inserting(
    app: Flask, client, runner: FlaskCliRunner
):
    _seed(runner, 10, 200)
    _seed(runner, 10, 200)  # a second run adds more, with new slugs and ids
    assert _count(Registration) == 400
    assert _count(Event) == 9 + 20
    registration = db.session.scalars(
        select(Registration).where(Registration.status == "confirmed").limit(1)
    ).one()
    token = manage_token(app.config["SECRET_KEY"], registration.token_nonce)
    assert client.get(f"/r/{token}").status_code == 200
    db.session.remove()  # the page may write (card keys): read afresh before writing here
    # Ids chosen by the seeder do not collide with the next one the database hands out.
    event = db.session.scalars(
        select(Event).where(Event.status == "published", Event.starts_at > utcnow()).limit(1)
    ).one()
    event.capacity = None
    db.session.commit()
    data = services.SignupInput("New Person", "new.person@example.org")
    result = services.register(event.id, data, utcnow(), app.config["SECRET_KEY"])
    db.session.commit()
    assert result.is_new and result.registration_id > max(
        db.session.scalars(select(Registration.id).where(Registration.id != result.registration_id))
    )
