"""The event page and the listing are rendered once per state and then served from memory
(campaign.core.pagecache): what they show is never stale, and per-visitor values are not
shared between visitors."""

from __future__ import annotations

import re
from typing import Any

import pytest

from campaign.core.pagecache import cache as page_cache
from campaign.extensions import db
from campaign.signups import views as signup_views
from tests.conftest import csrf_token
from tests.core.support import with_config


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Slugs of the event pages actually rendered (not served from memory)."""
    seen: list[str] = []
    real = signup_views._render_event_page

    def counting(event: Any, *args: Any, **kwargs: Any) -> str:
        seen.append(event.slug)
        return real(event, *args, **kwargs)

    monkeypatch.setattr(signup_views, "_render_event_page", counting)
    return seen


@pytest.fixture
def event(make_organizer, make_event):  # type: ignore[no-untyped-def]
    return make_event(make_organizer(), title="Walk and Talk", capacity=5)


def _seats(html: str) -> str:
    match = re.search(r"<strong>(\d+)</strong> of 5 places left", html)
    assert match, "the page says how many places are left"
    return match.group(1)


def test_a_page_is_rendered_once_then_served_from_memory(
    client, event, renders, monkeypatch
) -> None:
    # The render-time token is stamped in whole seconds: hold it still for the comparison.
    monkeypatch.setattr(signup_views, "started_token", lambda slug: "started-token")
    first = client.get(f"/events/{event.slug}")
    second = client.get(f"/events/{event.slug}")
    assert first.status_code == second.status_code == 200
    assert renders == [event.slug]
    assert first.get_data() == second.get_data()


def test_a_registration_changes_what_the_page_shows(client, event, register, renders) -> None:
    before = client.get(f"/events/{event.slug}").get_data(as_text=True)
    register(event, "Amira Haddad", "amira@example.org")
    after = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert len(renders) == 2
    assert _seats(before) != _seats(after)


def test_an_edit_to_the_event_changes_the_page(client, event, renders) -> None:
    client.get(f"/events/{event.slug}")
    event.title = "Walk, Talk and Tea"
    db.session.commit()
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "Walk, Talk and Tea" in page
    assert len(renders) == 2


def test_each_share_code_has_its_own_copy(client, event, renders) -> None:
    plain = client.get(f"/events/{event.slug}").get_data(as_text=True)
    shared = client.get(f"/events/{event.slug}?ref=abc123").get_data(as_text=True)
    assert 'value="abc123"' in shared and 'value="abc123"' not in plain
    client.get(f"/events/{event.slug}?ref=abc123")
    assert len(renders) == 2


def test_the_render_time_token_is_fresh_on_every_hit(client, event, monkeypatch) -> None:
    tokens = iter(f"started-{n}" for n in range(100))
    monkeypatch.setattr(signup_views, "started_token", lambda slug: next(tokens))
    first = client.get(f"/events/{event.slug}").get_data(as_text=True)
    second = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert 'value="started-0"' in first
    assert 'value="started-1"' in second and "started-0" not in second


@with_config(WTF_CSRF_ENABLED=True)
def test_visitors_get_their_own_csrf_token_and_it_works(app, event, renders) -> None:
    alice, bob = app.test_client(), app.test_client()
    alice_token = csrf_token(alice.get(f"/events/{event.slug}").get_data(as_text=True))
    bob_token = csrf_token(bob.get(f"/events/{event.slug}").get_data(as_text=True))
    assert len(renders) == 1, "bob's page came from memory"
    assert alice_token != bob_token
    bob_page = bob.get(f"/events/{event.slug}").get_data(as_text=True)
    assert alice_token not in bob_page

    from tests.signups.conftest import sign_started

    data = {"name": "Bob Smith", "email": "bob@example.org", "started": sign_started(event, 60)}
    data.update(website="", ref="")
    stolen = bob.post(f"/events/{event.slug}/register", data={**data, "csrf_token": alice_token})
    assert stolen.status_code == 400, "another visitor's token is refused"
    own = bob.post(f"/events/{event.slug}/register", data={**data, "csrf_token": bob_token})
    assert own.status_code == 303


def test_a_flashed_message_is_never_stored(client, event, renders) -> None:
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Only for this visitor")]
    flashed = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "Only for this visitor" in flashed
    assert len(page_cache()) == 0
    other = client.application.test_client().get(f"/events/{event.slug}").get_data(as_text=True)
    assert "Only for this visitor" not in other


def test_the_listing_follows_new_events(client, make_organizer, make_event) -> None:
    organizer = make_organizer()
    make_event(organizer, title="First Walk")
    assert "First Walk" in client.get("/events").get_data(as_text=True)
    make_event(organizer, title="Second Walk")
    listing = client.get("/events").get_data(as_text=True)
    assert "First Walk" in listing and "Second Walk" in listing


def test_the_state_read_with_core_matches_the_loaded_page(app, event, register) -> None:
    from campaign.signups import services

    register(event, "Amira Haddad", "amira@example.org")
    state = services.public_page_state(event.slug)
    page = services.public_page(event.slug)
    assert state is not None and page is not None
    assert state.parts == services.page_state(page)
    assert state.event_id == event.id
    event.title = "Something else"  # any column of the event is part of the state
    db.session.flush()
    changed = services.public_page_state(event.slug)
    assert changed is not None and changed.parts != state.parts
    db.session.rollback()


def test_a_page_read_in_another_state_is_not_kept(client, event, register, monkeypatch) -> None:
    from campaign.signups import services

    real = services.public_page

    def registration_lands_meanwhile(slug: str):  # type: ignore[no-untyped-def]
        register(event, "Late Comer", "late@example.org")
        return real(slug)

    monkeypatch.setattr(services, "public_page", registration_lands_meanwhile)
    client.get(f"/events/{event.slug}")
    assert len(page_cache()) == 0
    monkeypatch.setattr(services, "public_page", real)
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert _seats(page) == "4"
    assert len(page_cache()) == 1


def test_drafts_and_unknown_events_are_404(client, make_organizer, make_event) -> None:
    draft = make_event(make_organizer(), title="Not yet", status="draft")
    assert client.get(f"/events/{draft.slug}").status_code == 404
    assert client.get("/events/no-such-event").status_code == 404
    assert len(page_cache()) == 0


def test_the_listing_state_read_with_core_matches_the_loaded_rows(
    app, campaign, make_organizer, make_event
) -> None:
    from campaign.campaigns.services import current_campaign
    from campaign.core.pagecache import row_state
    from campaign.core.timeutil import utcnow
    from campaign.events import services as event_services

    make_event(make_organizer(), title="First Walk")
    now = utcnow()
    state = event_services.listing_state(now)
    loaded = current_campaign()
    assert state is not None and loaded is not None
    assert state.campaign_id == loaded.id
    assert state.key == (row_state(loaded), event_services.listing_version(loaded.id, now))


def test_a_listing_read_in_another_state_is_not_kept(
    client, campaign, make_organizer, make_event, monkeypatch
) -> None:
    from campaign.events import services as event_services

    organizer = make_organizer()
    make_event(organizer, title="First Walk")
    real = event_services.public_places

    def event_added_meanwhile(*args: Any):  # type: ignore[no-untyped-def]
        make_event(organizer, title="Second Walk")
        return real(*args)

    monkeypatch.setattr(event_services, "public_places", event_added_meanwhile)
    client.get("/events")
    assert len(page_cache()) == 0
