"""The event page and the listing are rendered once per state and then served from memory
(campaign.core.pagecache): what they show is never stale, and per-visitor values are not
shared between visitors."""

from __future__ import annotations

import gzip
import re
import time
from typing import Any

import brotli  # type: ignore[import-untyped]
import pytest

from campaign.core.pagecache import cache as page_cache
from campaign.events import views as event_views
from campaign.extensions import db
from campaign.signups import guard
from tests.core.support import with_config
from tests.signups.conftest import count_renders


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Slugs of the event pages actually rendered (not served from memory)."""
    return count_renders(monkeypatch, event_views, "_render_event_page")


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
    # The form token is new on every view: hold it still for the comparison.
    monkeypatch.setattr(guard, "form_token", lambda *args, **kwargs: "started-token")
    first = client.get(f"/events/{event.slug}")
    second = client.get(f"/events/{event.slug}")
    assert first.status_code == second.status_code == 200
    assert renders == [event.slug]
    assert first.get_data() == second.get_data()


def test_a_registration_changes_what_the_page_shows(client, event, register, renders) -> None:
    before = client.get(f"/events/{event.slug}").get_data(as_text=True)
    register(event, "Amira Haddad", "amira@example.org")
    after = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert _seats(before) != _seats(after)
    assert len(renders) == 1, "the new figures are filled into the stored page"


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


def test_the_form_token_is_fresh_on_every_hit(client, event, renders) -> None:
    first = client.get(f"/events/{event.slug}").get_data(as_text=True)
    second = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert renders == [event.slug], "the second page came from memory"
    tokens = [
        re.search(r'name="started" type="hidden" value="([^"]+)"', page) for page in (first, second)
    ]
    assert tokens[0] and tokens[1]
    assert tokens[0].group(1) != tokens[1].group(1)
    assert tokens[0].group(1) not in second
    # Each is a real one-time token of this event's form.
    secret = client.application.config["SECRET_KEY"]
    for token in tokens:
        assert guard.token_verdict(secret, token.group(1), event.slug, 0, time.time()) is None
        assert guard.token_verdict(secret, token.group(1), event.slug, 0, time.time()) == "reused"


def _started(page: str) -> str:
    match = re.search(r'name="started" type="hidden" value="([^"]+)"', page)
    assert match, "the page carries a form token"
    return match.group(1)


@with_config(WTF_CSRF_ENABLED=True, SIGNUP_MIN_SECONDS=0)
def test_two_visitors_of_one_cached_page_get_their_own_form_tokens(app, event, renders) -> None:
    alice, bob = app.test_client(), app.test_client()
    alice_page = alice.get(f"/events/{event.slug}")
    bob_page = bob.get(f"/events/{event.slug}")
    assert len(renders) == 1, "bob's page came from memory"
    assert "Set-Cookie" not in alice_page.headers and "Set-Cookie" not in bob_page.headers
    alice_token = _started(alice_page.get_data(as_text=True))
    bob_token = _started(bob_page.get_data(as_text=True))
    assert alice_token != bob_token
    assert alice_token not in bob_page.get_data(as_text=True)

    from campaign.signups.models import Registration
    from tests.signups.conftest import count, is_second_step

    data = {"name": "Bob Smith", "email": "bob@example.org", "website": "", "ref": ""}
    own = bob.post(f"/events/{event.slug}/register", data={**data, "started": bob_token})
    assert own.status_code == 303
    assert count(Registration) == 1
    # Each token is good once: sent again, it gets the second step, nothing is stored twice.
    again = alice.post(
        f"/events/{event.slug}/register",
        data={**data, "email": "alice@example.org", "started": bob_token},
    )
    assert is_second_step(again)
    assert count(Registration) == 1


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


def test_the_state_follows_every_column_and_the_seats(app, event, register) -> None:
    from campaign.events import event_page as services

    register(event, "Amira Haddad", "amira@example.org")
    state = services.public_page_state(event.slug)
    assert state is not None and state == services.public_page_state(event.slug)
    # The seat counts beside the rows, the host's public name last
    assert state.event_id == event.id and (state.seats.confirmed, state.seats.waitlisted) == (1, 0)
    event.title = "Something else"  # any column of the event is part of the state
    db.session.flush()
    changed = services.public_page_state(event.slug)
    assert changed is not None and changed.parts != state.parts
    db.session.rollback()
    event.campaign.tagline = "Another line"  # and of its campaign
    db.session.flush()
    changed = services.public_page_state(event.slug)
    assert changed is not None and changed.parts != state.parts
    db.session.rollback()
    register(event, "Second Person", "second@example.org")
    changed = services.public_page_state(event.slug)
    assert changed is not None and (changed.seats.confirmed, changed.seats.waitlisted) == (2, 0)
    event.organizer.name = "A new public name"  # and the host's name ("Hosted by")
    db.session.flush()
    changed = services.public_page_state(event.slug)
    assert changed is not None and changed.parts[-1] == "A new public name"
    db.session.rollback()


def test_a_page_read_in_another_state_is_not_kept(client, event, register, monkeypatch) -> None:
    from campaign.events import event_page as services

    real = services.public_page

    def registration_lands_meanwhile(slug: str):  # type: ignore[no-untyped-def]
        register(event, "Late Comer", "late@example.org")
        return real(slug)

    monkeypatch.setattr(services, "public_page", registration_lands_meanwhile)
    first = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert len(page_cache()) == 0
    # Its seat figures are those it was rendered with (read after the registration).
    assert _seats(first) == "4"
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
    from campaign.core.pagestate import row_state
    from campaign.core.timeutil import utcnow
    from campaign.events import cache_keys as event_services

    organizer = make_organizer()
    make_event(organizer, title="First Walk")
    now = utcnow()
    state = event_services.listing_state(now)
    loaded = current_campaign()
    assert state is not None and loaded is not None
    assert state.campaign_id == loaded.id
    assert state == event_services.listing_state(now)
    assert state.key[1] == event_services.listing_version(loaded.id, now)
    if db.engine.dialect.name != "postgresql":  # there, the row comes as a digest
        assert state.key[0] == row_state(loaded)
    loaded.tagline = "Another line"
    db.session.flush()
    assert event_services.listing_state(now) != state
    db.session.rollback()
    make_event(organizer, title="Second Walk")
    assert event_services.listing_state(now) != state


def test_a_listing_read_in_another_state_is_not_kept(
    client, campaign, make_organizer, make_event, monkeypatch
) -> None:
    from campaign.events import public as event_services

    organizer = make_organizer()
    make_event(organizer, title="First Walk")
    real = event_services.public_places

    def event_added_meanwhile(*args: Any):  # type: ignore[no-untyped-def]
        make_event(organizer, title="Second Walk")
        return real(*args)

    monkeypatch.setattr(event_services, "public_places", event_added_meanwhile)
    client.get("/events")
    assert len(page_cache()) == 0


def test_a_stored_page_is_answered_before_the_request_cycle(app, event, renders, monkeypatch):
    alice, bob = app.test_client(), app.test_client()
    first = alice.get(f"/events/{event.slug}")  # rendered and stored by the view

    def no_view(**kwargs: Any) -> None:
        raise AssertionError("the Flask view ran for a stored page")

    monkeypatch.setitem(app.view_functions, "events.detail", no_view)
    second = bob.get(f"/events/{event.slug}")
    assert second.status_code == 200 and len(renders) == 1
    assert "Set-Cookie" not in second.headers
    assert second.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert _started(first.get_data(as_text=True)) != _started(second.get_data(as_text=True))
    # Compressed as asked, with a fresh token in the gzip stream; brotli for the listing.
    zipped = bob.get(f"/events/{event.slug}", headers={"Accept-Encoding": "gzip, br"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    page = gzip.decompress(zipped.get_data()).decode()
    assert "Walk and Talk" in page and _started(page) != _started(second.get_data(as_text=True))
    secret = app.config["SECRET_KEY"]
    assert guard.token_verdict(secret, _started(page), event.slug, 0, time.time()) is None
    alice.get("/events")
    listing = bob.get("/events", headers={"Accept-Encoding": "br"})
    assert listing.headers["Content-Encoding"] == "br"
    assert "Walk and Talk" in brotli.decompress(listing.get_data()).decode()


def _count_event_views(app, monkeypatch) -> list[str]:
    """The slugs the Flask view of the event page renders from now on (a hit answered
    from memory adds none)."""
    calls: list[str] = []
    real = app.view_functions["events.detail"]

    def counted(**kwargs: Any) -> Any:
        calls.append(kwargs["slug"])
        return real(**kwargs)

    monkeypatch.setitem(app.view_functions, "events.detail", counted)
    return calls


def test_a_visitor_with_a_session_goes_through_flask(app, event, renders, monkeypatch):
    app.test_client().get(f"/events/{event.slug}")
    calls = _count_event_views(app, monkeypatch)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Only for this visitor")]
    assert "Only for this visitor" in client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert calls == [event.slug]


def test_the_second_visitor_of_an_unknown_or_draft_page_gets_404(app, event, make_event):
    draft = make_event(event.organizer, title="Secret Plans", status="draft")
    for _ in range(2):
        assert app.test_client().get(f"/events/{draft.slug}").status_code == 404
        assert app.test_client().get("/events/no-such-event").status_code == 404


def test_a_hit_reads_no_state_while_nothing_is_committed(app, event, renders, monkeypatch):
    from sqlalchemy import event as sqlalchemy_event
    from sqlalchemy.pool import Pool

    from campaign.core.changes import ChangeMarks

    # As on a quiet server (other tests commit to a shared PostgreSQL meanwhile).
    monkeypatch.setattr(ChangeMarks, "mark", lambda self: "nothing committed")
    path = f"/events/{event.slug}"
    app.test_client().get(path)  # rendered and stored
    first = app.test_client().get(path)  # the state read and kept
    seen: list[Any] = []

    def checkout(*args: Any) -> None:
        seen.append(args)

    sqlalchemy_event.listen(Pool, "checkout", checkout)
    try:
        second = app.test_client().get(path)
    finally:
        sqlalchemy_event.remove(Pool, "checkout", checkout)
    assert second.status_code == 200 and len(renders) == 1
    assert seen == [], "a hit on an unchanged database opens no pooled connection"
    assert _started(first.get_data(as_text=True)) != _started(second.get_data(as_text=True))


def test_a_commit_from_another_process_changes_the_page_at_once(app, event, renders) -> None:
    from sqlalchemy import create_engine, update

    from campaign.events.models import Event

    for _ in range(2):  # stored, then its state remembered
        app.test_client().get(f"/events/{event.slug}")
    # Another worker or host: its own engine and connection, not this app's session.
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with other.begin() as connection:
        connection.execute(
            update(Event).where(Event.id == event.id).values(title="Walk, Talk and Tea")
        )
    other.dispose()
    page = app.test_client().get(f"/events/{event.slug}").get_data(as_text=True)
    assert "Walk, Talk and Tea" in page and len(renders) == 2


def test_a_remembered_state_still_follows_the_time(app, event, monkeypatch) -> None:
    from datetime import timedelta

    from campaign.core import pagecache

    path, started = f"/events/{event.slug}", event.starts_at + timedelta(minutes=1)
    for _ in range(2):  # stored, then its state remembered
        app.test_client().get(path)
    calls = _count_event_views(app, monkeypatch)
    app.test_client().get(path)
    assert calls == [], "answered from memory"
    monkeypatch.setattr(pagecache, "utcnow", lambda: started)
    # Nothing was committed, but the event has begun: not the copy stored before.
    app.test_client().get(path)
    assert len(calls) == 1


def test_a_state_is_digested_once_and_follows_its_parts(app, event, monkeypatch):
    from campaign.core.timeutil import utcnow
    from campaign.events import cache_keys, event_page

    digested: list[tuple[Any, ...]] = []
    real = event_page.state_digest

    def counting(parts: tuple[Any, ...]) -> str:
        digested.append(parts)
        return real(parts)

    monkeypatch.setattr(event_page, "state_digest", counting)
    state = event_page.public_page_state(event.slug)
    assert state is not None
    now = utcnow()
    key = cache_keys.event_page_version(state, now)
    assert cache_keys.event_page_version(state, now) == key and len(digested) == 1
    event.title = "Walk, Talk and Tea"
    db.session.commit()
    changed = event_page.public_page_state(event.slug)
    assert changed is not None and cache_keys.event_page_version(changed, now) != key


def _going(html: str) -> str:
    match = re.search(r'<span class="going">([^<]*)</span>', html)
    assert match, "the page says how many are going"
    return match.group(1)


def test_a_registration_fills_the_stored_page_instead_of_rendering_it(
    app, make_organizer, make_event, register, renders
) -> None:
    """Only the seat figures change with a registration: first-time visitors and visitors
    with a session alike get the stored page with the new figures in its holes."""
    event = make_event(make_organizer(), capacity=5, is_going_count_public=True)
    register(event, "First Person", "first@example.org")
    visitor = app.test_client(use_cookies=False)
    assert _going(visitor.get(f"/events/{event.slug}").get_data(as_text=True)) == "1 going"
    assert len(renders) == 1
    for n, email in enumerate(("second@example.org", "third@example.org"), start=2):
        register(event, "Another Person", email)
        page = visitor.get(f"/events/{event.slug}").get_data(as_text=True)
        assert _going(page) == f"{n} going"
        assert _seats(page) == str(5 - n)
        assert f'<span class="hint">{5 - n} places left</span>' in page
    returning = app.test_client()
    with returning.session_transaction() as session:
        session["seen"] = True  # a session cookie: answered by the Flask view
    assert _going(returning.get(f"/events/{event.slug}").get_data(as_text=True)) == "3 going"
    assert len(renders) == 1, "no registration made the page render again"


def test_the_first_person_going_fills_the_stored_page_instead_of_rendering_it(
    app, make_organizer, make_event, register, renders
) -> None:
    """Nobody going shows no count; the first registration fills the count into the page
    stored with none, as every later one does."""
    event = make_event(make_organizer(), is_going_count_public=True)
    visitor = app.test_client(use_cookies=False)
    host_line = re.compile(r'<p class="event-detail__host">.*?</p>', re.S)
    empty = visitor.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "going" not in host_line.findall(empty)[0]
    register(event, "First Person", "first@example.org")
    assert _going(visitor.get(f"/events/{event.slug}").get_data(as_text=True)) == "1 going"
    assert len(renders) == 1, "the first registration made the page render again"


def test_a_hidden_count_stays_hidden_in_the_stored_page(
    app, make_organizer, make_event, register, renders
) -> None:
    event = make_event(make_organizer(), is_going_count_public=False)
    visitor = app.test_client(use_cookies=False)
    for name in ("first", "second"):
        page = visitor.get(f"/events/{event.slug}").get_data(as_text=True)
        assert 'class="going"' not in page
        register(event, "Some Person", f"{name}@example.org")
    assert 'class="going"' not in visitor.get(f"/events/{event.slug}").get_data(as_text=True)
    assert len(renders) == 1


def test_the_last_place_and_the_first_on_the_waitlist_change_the_page(
    app, make_organizer, make_event, register, renders
) -> None:
    event = make_event(make_organizer(), capacity=2, is_waitlist_enabled=True)
    register(event, "First Person", "first@example.org")
    visitor = app.test_client(use_cookies=False)
    assert "Join the waitlist" not in visitor.get(f"/events/{event.slug}").get_data(True)
    register(event, "Second Person", "second@example.org")  # the last place
    full = visitor.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "Join the waitlist" in full and "places left" not in full
    register(event, "On The List", "list@example.org")  # the waitlist begins
    visitor.get(f"/events/{event.slug}")
    register(event, "Also Waiting", "also@example.org")  # nothing the page says changes
    visitor.get(f"/events/{event.slug}")
    assert len(renders) == 3


@pytest.mark.parametrize("locale", ["en", "es"])
@pytest.mark.parametrize(
    "confirmed, capacity", [(0, None), (1, None), (0, 3), (2, 3), (1234, 5000), (7, 8)]
)
def test_seat_texts_are_what_the_page_template_said(app, locale, confirmed, capacity) -> None:
    """The holes' texts against the expressions the page rendered inline before they
    were holes, in each language and for numbers that need grouping and plurals."""
    from campaign.events.seat_texts import HOLES, SeatFigures, seat_text_in

    figures = SeatFigures(confirmed, 0, capacity)
    left = figures.seats_left
    inline = app.jinja_env.from_string(
        '{% if confirmed > 0 %} · <span class="going">'
        '{{ ngettext("%(num)s going", "%(num)s going", confirmed, num=confirmed|numberformat) }}'
        "</span>{% endif %}|"
        "{% if left is not none %}"
        '{{ ngettext("%(num)s place left", "%(num)s places left", left, num=left|numberformat) }}|'
        '{{ ngettext("<strong>%(left)s</strong> of %(num)s place left.", '
        '"<strong>%(left)s</strong> of %(num)s places left.", capacity, '
        "left=left|numberformat, num=capacity|numberformat) }}"
        "{% else %}|{% endif %}"
    )
    with app.test_request_context(f"/events/x?lang={locale}"):
        expected = inline.render(confirmed=confirmed, left=left, capacity=capacity)
    with app.app_context():
        texts = [seat_text_in(locale, figures, name) for name in HOLES]
    assert "|".join(texts) == expected


def test_text_that_equals_a_figure_is_left_alone(app, make_organizer, make_event, register):
    """Holes are where the page renders them, never wherever their text appears."""
    event = make_event(
        make_organizer(), is_going_count_public=True, description="Last year: 2 going."
    )
    register(event, "First Person", "first@example.org")
    register(event, "Second Person", "second@example.org")
    visitor = app.test_client(use_cookies=False)
    for _ in range(2):  # rendered, then from memory
        page = visitor.get(f"/events/{event.slug}").get_data(as_text=True)
        assert "Last year: 2 going." in page and _going(page) == "2 going"
    register(event, "Third Person", "third@example.org")
    page = visitor.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "Last year: 2 going." in page and _going(page) == "3 going"


def test_a_visitors_filters_never_reach_the_stored_copys_links(app, event, renders) -> None:
    """The event page's language links keep only its share code: a listing filter sent
    to it by the first visitor is not written into the copy every later visitor gets."""
    first = app.test_client(use_cookies=False).get(
        f"/events/{event.slug}?q=cheap+pills&city=Spamtown&page=7&ref=abc123"
    )
    assert "ref=abc123" in first.get_data(as_text=True)
    for page in (first, app.test_client(use_cookies=False).get(f"/events/{event.slug}")):
        html = page.get_data(as_text=True)
        assert "cheap" not in html and "Spamtown" not in html and "page=7" not in html
    assert "abc123" not in app.test_client(use_cookies=False).get(f"/events/{event.slug}").get_data(
        as_text=True
    )


def test_the_listings_links_keep_its_filters_and_nothing_a_visitor_added(
    app, event, renders
) -> None:
    first = app.test_client(use_cookies=False).get("/events?city=Leeds&city=Spamtown&ref=abc123")
    assert "city=Leeds" in first.get_data(as_text=True)
    for answer in (first, app.test_client(use_cookies=False).get("/events?city=Leeds")):
        html = answer.get_data(as_text=True)
        assert "city=Leeds&amp;lang=es" in html, "the filter is kept in the language link"
        assert "Spamtown" not in html and "abc123" not in html
