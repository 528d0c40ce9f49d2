"""events.seats_version: every change to an event's seats bumps it in the same
transaction (the public listing's cache key sums it), and nothing else does; the event's
updated_at is left alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from campaign.attendees import checkin
from campaign.core.timeutil import utcnow
from campaign.events import cache_keys
from campaign.events.models import Event
from campaign.extensions import db
from campaign.signups import seats, services
from campaign.signups.models import Registration

SECRET = "test-secret-key-not-for-production"


def _version(event_id: int) -> tuple[int, object]:
    """(seats_version, updated_at) as committed."""
    db.session.rollback()
    row = db.session.execute(
        select(Event.seats_version, Event.updated_at).where(Event.id == event_id)
    ).one()
    return int(row[0]), row[1]


@pytest.fixture
def event(make_organizer, make_event):  # type: ignore[no-untyped-def]
    return make_event(make_organizer(), title="Walk and Talk", capacity=1)


def test_a_new_registration_bumps_the_version_and_a_repeated_one_does_not(event, register):
    version, updated = _version(event.id)
    register(event, "Amira Haddad", "amira@example.org")
    assert _version(event.id) == (version + 1, updated)
    register(event, "Amira Haddad", "amira@example.org")  # the same answer again
    assert _version(event.id) == (version + 1, updated)
    register(event, "On The List", "list@example.org")  # the waitlist is a change too
    assert _version(event.id) == (version + 2, updated)


def test_a_refused_registration_changes_nothing(make_organizer, make_event, register):
    full = make_event(make_organizer(), title="Full", capacity=1, is_waitlist_enabled=False)
    register(full, "Amira Haddad", "amira@example.org")
    version = _version(full.id)
    with pytest.raises(services.EventFull):
        services.register(
            full.id, services.SignupInput("Late", "late@example.org"), utcnow(), SECRET
        )
    db.session.rollback()
    assert _version(full.id) == version


def test_cancelling_and_the_promotion_it_brings_bump_the_version(event, register):
    first = register(event, "Amira Haddad", "amira@example.org")
    register(event, "On The List", "list@example.org")
    version, updated = _version(event.id)
    first = db.session.get(Registration, first.id)
    seats.cancel(first, utcnow())
    db.session.commit()
    assert _version(event.id) == (version + 2, updated)  # the cancellation, the promotion
    seats.cancel(first, utcnow())  # already cancelled: nothing happens
    db.session.commit()
    assert _version(event.id) == (version + 2, updated)


def test_an_organizer_promoting_someone_bumps_the_version(event, register):
    first = register(event, "Amira Haddad", "amira@example.org")
    waiting = register(event, "On The List", "list@example.org")
    # Cancelled after the start (no automatic promotion then), the seat is free.
    started = utcnow() + timedelta(days=30)
    seats.cancel(db.session.get(Registration, first.id), started)
    db.session.commit()
    version, updated = _version(event.id)
    seats.promote_one(db.session.get(Registration, waiting.id), utcnow())
    db.session.commit()
    assert _version(event.id) == (version + 1, updated)


def test_walk_ins_bump_the_version_and_a_check_in_does_not(event, register):
    waiting_email = "list@example.org"
    first = register(event, "Amira Haddad", "amira@example.org")
    register(event, "On The List", waiting_email)
    version, updated = _version(event.id)
    seats.set_checked_in(db.session.get(Registration, first.id), True, utcnow())
    db.session.commit()
    assert _version(event.id) == (version, updated)
    locked = db.session.get(Event, event.id)
    checkin.add_walk_in(locked, "On The List", waiting_email, utcnow(), SECRET)  # promoted
    db.session.commit()
    assert _version(event.id) == (version + 1, updated)
    locked = db.session.get(Event, event.id)
    checkin.add_walk_in(locked, "At The Door", "", utcnow(), SECRET)
    db.session.commit()
    assert _version(event.id) == (version + 2, updated)


def test_the_listing_key_follows_limited_events_only(make_organizer, make_event, register):
    organizer = make_organizer()
    limited = make_event(organizer, title="Limited", capacity=5)
    unlimited = make_event(organizer, title="Unlimited")
    now = utcnow()
    state = cache_keys.listing_state(now)
    register(unlimited, "Amira Haddad", "amira@example.org")
    assert cache_keys.listing_state(now) == state  # no badge to change
    register(limited, "Amira Haddad", "amira@example.org")
    changed = cache_keys.listing_state(now)
    assert changed is not None and changed != state
    assert changed.key[1] == cache_keys.listing_version(changed.campaign_id, now)
