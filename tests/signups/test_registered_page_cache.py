"""The page after registering is rendered once per state of its event and then served from
memory (campaign.signups.page_keys), before the request cycle for a visitor without a
session: it never shows a stale event, never keeps a page for a browser or proxy, and
never gives two visitors the same resend token."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from campaign.core import pagecache
from campaign.events.models import Event
from campaign.extensions import db
from campaign.organizers.models import Organizer
from campaign.signups import guard, page_keys
from campaign.signups import views as signup_views
from tests.core.support import with_config
from tests.signups.conftest import count_renders


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Slugs of the pages after registering actually rendered (not served from memory)."""
    return count_renders(monkeypatch, signup_views, "_registered_body")


@pytest.fixture
def event(make_organizer: Callable[..., Organizer], make_event: Callable[..., Event]) -> Event:
    return make_event(make_organizer(), title="Walk and Talk", capacity=5)


def _token(page: str) -> str:
    match = re.search(r'name="started" type="hidden" value="([^"]+)"', page)
    assert match, "the resend form carries a token"
    return match.group(1)


def _path(event: Any, query: str = "") -> str:
    return f"/events/{event.slug}/registered{query}"


def _visit(app: Any, path: str) -> Any:
    """A first-time visitor's GET: a new client, no cookie."""
    return app.test_client(use_cookies=False).get(path)


def test_rendered_once_then_served_from_memory_before_the_request_cycle(
    app, event, renders, monkeypatch
) -> None:
    first = _visit(app, _path(event))  # rendered and stored by the view

    def no_view(**kwargs: Any) -> None:
        raise AssertionError("the Flask view ran for a stored page")

    monkeypatch.setitem(app.view_functions, "signups.registered", no_view)
    second = _visit(app, _path(event))
    assert first.status_code == second.status_code == 200
    assert renders == [event.slug]
    for answer in (first, second):
        assert answer.headers["Cache-Control"] == "no-store"
        assert "Set-Cookie" not in answer.headers
        assert "Check your inbox" in answer.get_data(as_text=True)
    pages = [answer.get_data(as_text=True) for answer in (first, second)]
    one, two = (_token(page) for page in pages)
    assert one != two
    assert pages[0].replace(one, "") == pages[1].replace(two, ""), "the same around the token"


@with_config(SIGNUP_MIN_SECONDS=0)
def test_each_token_is_a_good_resend_token_once(app, event, renders) -> None:
    secret = app.config["SECRET_KEY"]
    slot = page_keys.RESEND_SLOT + event.slug
    tokens = [_token(_visit(app, _path(event)).get_data(as_text=True)) for _ in range(3)]
    assert len(set(tokens)) == 3 and len(renders) == 1
    # Made for the resend form: never good for the event's registration form.
    assert guard.token_verdict(secret, tokens[0], event.slug, 0, time.time()) == guard.INVALID
    for token in tokens[1:]:
        assert guard.token_verdict(secret, token, slot, 0, time.time()) is None
        assert guard.token_verdict(secret, token, slot, 0, time.time()) == guard.REUSED


def test_an_edit_to_the_event_changes_the_page(app, event, renders) -> None:
    _visit(app, _path(event))
    event.title = "Walk, Talk and Tea"
    db.session.commit()
    page = _visit(app, _path(event)).get_data(as_text=True)
    assert "Walk, Talk and Tea" in page and "Walk and Talk" not in page
    assert len(renders) == 2


def test_a_cancellation_changes_the_page(app, event, renders) -> None:
    assert "resend-heading" in _visit(app, _path(event)).get_data(as_text=True)
    event.status = "cancelled"
    db.session.commit()
    page = _visit(app, _path(event)).get_data(as_text=True)
    assert "This event is cancelled" in page and "resend-heading" not in page


def test_the_end_of_the_event_changes_the_page_with_nothing_committed(
    app, event, renders, monkeypatch
) -> None:
    for _ in range(2):  # stored, then its state remembered
        assert "Add to your calendar" in _visit(app, _path(event)).get_data(as_text=True)
    assert len(renders) == 1
    ended = event.ends_at + timedelta(minutes=1)
    monkeypatch.setattr(pagecache, "utcnow", lambda: ended)
    monkeypatch.setattr(signup_views, "utcnow", lambda: ended)
    page = _visit(app, _path(event)).get_data(as_text=True)
    assert "Add to your calendar" not in page and "resend-heading" not in page
    assert len(renders) == 2


def test_sent_again_has_its_own_copy(app, event, renders) -> None:
    plain = _visit(app, _path(event)).get_data(as_text=True)
    sent = _visit(app, _path(event, "?sent=1")).get_data(as_text=True)
    assert 'id="resend-notice"' in sent and 'id="resend-notice"' not in plain
    again = _visit(app, _path(event, "?sent=1")).get_data(as_text=True)
    assert 'id="resend-notice"' in again
    assert 'id="resend-notice"' not in _visit(app, _path(event)).get_data(as_text=True)
    assert len(renders) == 2


def test_each_language_has_its_own_copy(app, event, renders) -> None:
    english = _visit(app, _path(event)).get_data(as_text=True)
    spanish = _visit(app, _path(event, "?lang=es")).get_data(as_text=True)
    assert "Check your inbox" in english and "Check your inbox" not in spanish
    assert "Check your inbox" not in _visit(app, _path(event, "?lang=es")).get_data(as_text=True)
    assert len(renders) == 2


def test_drafts_and_unknown_events_are_404_every_time(app, event, make_event) -> None:
    draft = make_event(event.organizer, title="Secret Plans", status="draft")
    for _ in range(2):
        assert _visit(app, _path(draft)).status_code == 404
        assert _visit(app, "/events/no-such-event/registered").status_code == 404


def test_a_page_read_in_another_state_is_not_kept(app, event, renders, monkeypatch) -> None:
    from campaign.events import event_page

    real = event_page.public_page_state
    reads = iter(range(1000))

    def changing(slug: str, connection: Any = None) -> Any:
        state = real(slug, connection)
        # Every read a new state, as if an edit landed between the key and the render.
        return state and type(state)(
            state.event_id, state.starts_at, state.ends_at, (*state.parts, next(reads)), state.seats
        )

    monkeypatch.setattr(event_page, "public_page_state", changing)
    for _ in range(2):
        assert _visit(app, _path(event)).status_code == 200
    assert len(renders) == 2, "the copy read in another state was not kept"


def test_a_resend_answer_is_never_stored(app, event, renders) -> None:
    client = app.test_client(use_cookies=False)
    answer = client.post(
        f"/events/{event.slug}/registered/resend",
        data={"started": "", "email": "not an address", "website": ""},
    )
    assert answer.status_code == 400 and answer.headers["Cache-Control"] == "no-store"
    assert len(pagecache.cache()) == 0
    page = _visit(app, _path(event)).get_data(as_text=True)
    assert "not an address" not in page
    assert len(renders) == 2


def test_a_visitors_arguments_never_reach_the_stored_copy(app, event, renders) -> None:
    first = _visit(app, _path(event, "?q=cheap+pills&city=Spamtown&ref=abc123&page=7"))
    later = _visit(app, _path(event))
    assert len(renders) == 1, "one copy for both"
    for answer in (first, later):
        html = answer.get_data(as_text=True)
        for stray in ("cheap", "Spamtown", "abc123", "page=7"):
            assert stray not in html, stray
        assert 'href="?lang=es"' in html, "the language links carry the language alone"
