"""The dashboard's figures, rewritten to stay fast at scale, still match a plain count."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from campaign.campaigns.scale import ScaleFill
from campaign.core.timeutil import utcnow
from campaign.dashboard import services
from campaign.events.models import Event
from campaign.extensions import db
from campaign.organizers.models import Organizer
from campaign.signups import privacy
from campaign.signups import services as signup_services
from campaign.signups.models import DELETED_SUPPORTER, Registration
from tests.conftest import login


@pytest.fixture
def filled(
    app: Flask, fill_campaign: Callable[..., ScaleFill], make_organizer: Callable[..., Organizer]
) -> dict:
    """A campaign of 30 events and 900 registrations; a third of the events are Olu's."""
    olu = make_organizer()
    admin = make_organizer(admin=True)
    fill = fill_campaign(30, 900, seed=11)
    db.session.execute(update(Event).where(Event.id % 3 == 0).values(organizer_id=olu.id))
    db.session.commit()
    return {"fill": fill, "olu": olu, "admin": admin}


def _in_scope(organizer: Organizer, campaign_id: int) -> dict[int, Event]:
    query = select(Event).where(Event.campaign_id == campaign_id)
    if not organizer.is_admin:
        query = query.where(Event.organizer_id == organizer.id)
    return {event.id: event for event in db.session.scalars(query)}


def _registrations() -> list[Registration]:
    return list(db.session.scalars(select(Registration).order_by(Registration.id)))


@pytest.mark.parametrize("who", ["admin", "olu"])
def test_registrations_per_day_match_a_plain_count(filled: dict, who: str) -> None:
    organizer, campaign_id = filled[who], filled["fill"].campaign_id
    now = utcnow()
    events = _in_scope(organizer, campaign_id)
    expected = Counter(r.created_at.date() for r in _registrations() if r.event_id in events)
    days = services.registrations_per_day(organizer, campaign_id, now)
    assert len(days) == 30 and days[-1][0] == now.date()
    assert {day: n for day, n in days if n} == {
        day: n for day, n in expected.items() if day > now.date() - timedelta(days=30)
    }
    assert sum(n for _, n in days) > 0


def test_a_registration_today_counts_at_once_while_past_days_are_kept(filled: dict) -> None:
    admin, campaign_id = filled["admin"], filled["fill"].campaign_id
    now = utcnow()
    before = dict(services.registrations_per_day(admin, campaign_id, now))
    event = db.session.scalars(
        select(Event).where(Event.status == "published", Event.starts_at > now).limit(1)
    ).one()
    event.capacity = None
    db.session.commit()
    data = signup_services.SignupInput("Late Comer", "late.comer@example.org")
    signup_services.register(event.id, data, now, "secret")
    db.session.commit()
    after = dict(services.registrations_per_day(admin, campaign_id, now))
    assert after[now.date()] == before[now.date()] + 1
    assert {d: n for d, n in after.items() if d != now.date()} == {
        d: n for d, n in before.items() if d != now.date()
    }


@pytest.mark.parametrize("who", ["admin", "olu"])
def test_top_referrers_match_a_plain_count(filled: dict, who: str) -> None:
    organizer, campaign_id = filled[who], filled["fill"].campaign_id
    events = _in_scope(organizer, campaign_id)
    rows = {r.id: r for r in _registrations()}
    counts = Counter(r.referred_by_id for r in rows.values() if r.referred_by_id is not None)
    ranked = sorted(
        ((rows[rid], n) for rid, n in counts.items() if rows[rid].event_id in events),
        key=lambda pair: (-pair[1], pair[0].id),
    )
    expected = [(r.name, events[r.event_id].title, n) for r, n in ranked[:5]]
    assert expected
    assert services.top_referrers(organizer, campaign_id) == expected


@pytest.mark.parametrize("who", ["admin", "olu"])
def test_per_event_totals_match_a_plain_count(filled: dict, who: str) -> None:
    organizer, campaign_id = filled[who], filled["fill"].campaign_id
    now = utcnow()
    events = list(db.session.scalars(services.totals_query(organizer, campaign_id, now)))
    assert events
    scope = _in_scope(organizer, campaign_id)
    assert all(e.id in scope and e.status != "draft" for e in events)
    registrations = _registrations()
    for row in services.totals_for(events):
        mine = [r for r in registrations if r.event_id == row["event"].id]
        assert row["confirmed"] == sum(r.status == "confirmed" for r in mine)
        assert row["waitlisted"] == sum(r.status == "waitlisted" for r in mine)
        assert row["checked_in"] == sum(r.checked_in_at is not None for r in mine)
        assert row["referred"] == sum(r.referred_by_id is not None for r in mine)


def test_the_per_event_table_is_paginated(filled: dict, client: FlaskClient) -> None:
    admin_email, campaign_id = filled["admin"].email, filled["fill"].campaign_id
    query = services.totals_query(filled["admin"], campaign_id, utcnow())
    total = len(list(db.session.scalars(query)))
    assert total > services.TOTALS_PER_PAGE
    db.session.remove()
    login(client, admin_email)

    def event_ids(page: int) -> list[str]:
        html = client.get(f"/manage/?page={page}").get_data(as_text=True)
        table = html[html.index('id="totals-heading"') : html.index('id="next-heading"')]
        return re.findall(r'/manage/events/(\d+)/attendees"', table)

    first, second = event_ids(1), event_ids(2)
    assert len(first) == services.TOTALS_PER_PAGE
    assert second and not set(first) & set(second)
    assert 'rel="next"' in client.get("/manage/").get_data(as_text=True)


def test_kept_referrers_follow_new_referrals_and_anonymisation(filled: dict) -> None:
    admin, campaign_id = filled["admin"], filled["fill"].campaign_id
    now = utcnow()
    top = services.top_referrers(admin, campaign_id)
    assert top
    # Someone on an upcoming event, not in the top five, brings more friends than anyone.
    leader_count = top[0][2]
    newcomer = db.session.scalars(
        select(Registration)
        .join(Event, Registration.event_id == Event.id)
        .where(Event.status == "published", Event.starts_at > now)
        .where(Registration.name.not_in([name for name, _, _ in top]))
        .order_by(Registration.id.desc())
        .limit(1)
    ).one()
    db.session.get(Event, newcomer.event_id).capacity = None
    db.session.commit()
    code, name = newcomer.referral_code, newcomer.name
    for n in range(leader_count + 1):
        data = signup_services.SignupInput(f"Friend {n}", f"friend{n}@example.org", False, code)
        signup_services.register(newcomer.event_id, data, now, "secret")
        db.session.commit()
    top = services.top_referrers(admin, campaign_id)
    assert top[0][0] == name and top[0][2] >= leader_count + 1
    # Once the person's data is deleted, their name is gone from the dashboard too.
    privacy.anonymise(db.session.get(Registration, newcomer.id), now)
    db.session.commit()
    assert services.top_referrers(admin, campaign_id)[0][0] == DELETED_SUPPORTER
