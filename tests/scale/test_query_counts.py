"""Every page's query count is constant in the number of rows: an N+1 fails here.

Each page is requested on a small campaign (5 events, 50 registrations), then again
after the scale seeder has made it ten times bigger (50 events, 500 registrations); the
number of SQL statements each request sends must not change. Requests run in a fresh app
context and session each (as under a real server), so an object loaded by an earlier
request cannot hide a lazy load; pages kept rendered in memory (campaign.core.pagecache)
are counted both rendered and served from memory.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import or_, select, update

from campaign.campaigns.scale import ScaleFill, largest_event_id
from campaign.core.pagecache import cache as page_cache
from campaign.events.models import Event
from campaign.extensions import db
from campaign.organizers.models import Organizer
from tests.conftest import login
from tests.support.queries import count_queries

SMALL = (5, 50)
BIG = (45, 450)  # added to SMALL: ten times the rows


def _pages(campaign_id: int) -> dict[str, str]:
    """The measured URLs, built around the campaign's largest event."""
    event_id = largest_event_id(campaign_id)
    assert event_id is not None
    slug = db.session.scalar(select(Event.slug).where(Event.id == event_id))
    return {
        "public listing": "/events",
        "public listing, online filter": "/events?online=1",
        "event page": f"/events/{slug}",
        "home page": "/",
        "calendar feed": "/calendar.ics",
        "dashboard": "/manage/",
        "manage events": "/manage/events",
        "manage event": f"/manage/events/{event_id}",
        "attendee list": f"/manage/events/{event_id}/attendees",
        "attendee list, waitlisted": f"/manage/events/{event_id}/attendees?status=waitlisted",
        "attendee CSV": f"/manage/events/{event_id}/attendees/export.csv",
        "outbox": "/manage/outbox",
        "event outbox": f"/manage/events/{event_id}/outbox",
    }


def _measure(app: Flask, clients: dict[str, FlaskClient], campaign_id: int) -> dict:
    """(who, page) -> (query count, the statements) for every page and every client."""
    pages = _pages(campaign_id)
    db.session.remove()
    results = {}
    for who, client in clients.items():
        for name, url in pages.items():
            if who == "anonymous" and url.startswith("/manage"):
                continue
            client.get(url).get_data()  # warm up: first-visit work (card keys) is not per row
            # Public pages are kept rendered in memory: count a render, then a hit.
            for state in ("rendered", "from the page cache"):
                if state == "rendered":
                    page_cache().clear()
                with count_queries(app) as log:
                    response = client.get(url)
                    body = response.get_data()  # a streamed body is produced while read
                assert response.status_code == 200, (who, url, response.status_code)
                assert body
                results[(who, name, state)] = (log.count, log.statements)
    db.session.remove()  # end the test's read snapshot before it writes again
    return results


def _give_events_to(organizer_id: int, campaign_id: int) -> None:
    """Hand every third event (and the largest) to a real organizer, for their own view."""
    largest = largest_event_id(campaign_id)
    db.session.execute(
        update(Event)
        .where(or_(Event.id % 3 == 0, Event.id == largest))
        .values(organizer_id=organizer_id)
    )
    db.session.commit()


@pytest.fixture
def clients(
    app: Flask,
    client: FlaskClient,
    make_organizer: Callable[..., Organizer],
    fill_campaign: Callable[..., ScaleFill],
) -> dict[str, FlaskClient]:
    """An anonymous visitor, an admin and an organizer, each with their own cookies."""
    admin_email = make_organizer(admin=True).email
    organizer_email = make_organizer().email
    db.session.remove()  # the sign-ins write from other sessions: hold no snapshot here
    organizer_client = app.test_client()
    assert login(client, admin_email).status_code == 302
    assert login(organizer_client, organizer_email).status_code == 302
    return {"anonymous": app.test_client(), "admin": client, "organizer": organizer_client}


def _differences(small: dict, big: dict) -> list[str]:
    lines = []
    for key, (count, statements) in small.items():
        big_count, big_statements = big[key]
        if count != big_count:
            lines.append(f"{key}: {count} queries with {SMALL}, {big_count} ten times bigger")
            for label, listed in (("small", statements), ("big", big_statements)):
                lines.append(f"  {label}:")
                lines.extend("    " + s[:150] for s in listed)
    return lines


def test_query_counts_do_not_grow_with_rows(
    app: Flask, clients: dict[str, FlaskClient], fill_campaign: Callable[..., ScaleFill]
) -> None:
    organizer_id = db.session.scalar(
        select(Organizer.id).where(Organizer.role == "organizer", Organizer.is_enabled)
    )
    first = fill_campaign(*SMALL, seed=1)
    _give_events_to(organizer_id, first.campaign_id)
    small = _measure(app, clients, first.campaign_id)

    fill_campaign(*BIG, seed=2)
    _give_events_to(organizer_id, first.campaign_id)
    big = _measure(app, clients, first.campaign_id)

    assert not _differences(small, big), "\n".join(_differences(small, big))


def test_the_counter_catches_an_n_plus_1(
    app: Flask, client: FlaskClient, fill_campaign: Callable[..., ScaleFill]
) -> None:
    """The same measurement on a page that lazy-loads each event's organizer fails."""

    def n_plus_1() -> str:
        events = db.session.scalars(select(Event).order_by(Event.id).limit(20))
        return ", ".join(event.organizer.name for event in events)

    app.add_url_rule("/_n_plus_1", view_func=n_plus_1)
    counts = []
    for events, registrations in (SMALL, BIG):
        fill_campaign(events, registrations, seed=events)
        db.session.remove()  # start the request with nothing loaded
        with count_queries(app) as log:
            assert client.get("/_n_plus_1").status_code == 200
        counts.append(log.count)
    assert counts[0] < counts[1]
