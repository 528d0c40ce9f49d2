"""The public event page's first screen and details (issue 15): the register button at the
top, who hosts, "N going" when the organizer allows it, directions, a copy-link button,
the visitor's own time, and no calendar links once an event is cancelled."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from campaign.extensions import db
from campaign.signups.models import Registration
from tests.events.conftest import get_event


def _add_confirmed(event, n: int) -> None:
    for i in range(n):
        db.session.add(
            Registration(
                event_id=event.id,
                name=f"P {i}",
                email=f"p{i}@example.org",
                status="confirmed",
                token_nonce=f"n{i}",
                token_hash=f"h{event.id}-{i}",
                referral_code=f"r{event.id}x{i}",
            )
        )
    db.session.commit()


def test_the_first_screen_has_the_register_button_and_the_host(client, make_organizer, make_event):
    organizer = make_organizer()
    organizer.name = "Leeds Harm Reduction"
    db.session.commit()
    event = make_event(organizer, capacity=20)
    html = client.get(f"/events/{event.slug}").get_data(True)
    head = html[html.index('class="event-detail__head"') : html.index('class="event-detail__grid"')]
    assert 'href="#register-heading"' in head
    assert "20 places left" in head
    assert "Hosted by <strong>Leeds Harm Reduction</strong>" in head
    assert "going" not in head  # the organizer has not chosen to show it


def test_going_is_shown_only_when_the_organizer_allows_it(client, make_organizer, make_event):
    hidden = make_event(make_organizer(), capacity=20)
    shown = make_event(make_organizer(), capacity=20, is_going_count_public=True)
    _add_confirmed(hidden, 3)
    _add_confirmed(shown, 3)
    assert "3 going" not in client.get(f"/events/{hidden.slug}").get_data(True)
    assert "3 going" in client.get(f"/events/{shown.slug}").get_data(True)


def test_the_organizer_switches_going_on_in_the_event_form(client, create_via_form):
    event_id = create_via_form(is_going_count_public="y")
    assert get_event(event_id).is_going_count_public is True
    other = create_via_form(title="Another talk")
    assert get_event(other).is_going_count_public is False


def test_an_in_person_event_links_to_directions_from_its_address(
    client, make_organizer, make_event
):
    event = make_event(make_organizer(), venue="Town Hall", address="1 Main St\nFloor 2")
    html = client.get(f"/events/{event.slug}").get_data(True)
    match = re.search(r'href="(https://www\.openstreetmap\.org/search\?[^"]+)"', html)
    assert match, "no directions link"
    query = parse_qs(urlsplit(match.group(1).replace("&amp;", "&")).query)["query"][0]
    assert query == "Town Hall, 1 Main St, Floor 2, Leeds, England, United Kingdom"
    assert "<iframe" not in html


def test_an_online_event_has_no_directions(client, make_organizer, make_event):
    event = make_event(make_organizer(), format="online", venue="", city="")
    assert "openstreetmap" not in client.get(f"/events/{event.slug}").get_data(True)


def test_the_page_has_a_copy_link_button_and_the_visitors_time(client, make_organizer, make_event):
    event = make_event(make_organizer(), format="online", timezone="Australia/Sydney")
    html = client.get(f"/events/{event.slug}").get_data(True)
    assert 'data-copy="#event-link"' in html
    assert re.search(rf'id="event-link"[^>]*value="https?://[^"]+/events/{event.slug}"', html)
    assert 'data-zone="Australia/Sydney"' in html
    assert "js/localtime.js" in html
    assert event.when_text in html  # the event's own time stays


def test_a_cancelled_event_offers_no_add_to_calendar(client, make_organizer, make_event):
    event = make_event(make_organizer(), status="cancelled")
    html = client.get(f"/events/{event.slug}").get_data(True)
    assert "This event is cancelled" in html
    assert "Add to calendar" not in html
    assert "calendar.google.com" not in html and "outlook.live.com" not in html
    assert 'href="#register-heading"' not in html
