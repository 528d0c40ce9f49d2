"""The page cache keeps one copy of a page per language: an English and a Spanish visitor
each get their own, each served from memory before Flask after the first render, chosen
before the request cycle exactly as the views choose (?lang=, cookie, Accept-Language)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from campaign.events import views as event_views


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The languages event pages were actually rendered in (not served from memory)."""
    seen: list[str] = []
    real = event_views._render_event_page

    def counting(event: Any, *args: Any, **kwargs: Any) -> str:
        from campaign.i18n.web import current_locale

        seen.append(current_locale())
        return real(event, *args, **kwargs)

    monkeypatch.setattr(event_views, "_render_event_page", counting)
    return seen


def _lang(page: str) -> str:
    found = re.search(r'<html lang="([^"]+)"', page)
    assert found
    return found.group(1)


def _no_view(**kwargs: Any) -> None:
    raise AssertionError("the Flask view ran for a stored page")


ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}
SPANISH = {"Accept-Language": "es-ES,es;q=0.9"}


def test_each_language_has_its_copy_and_each_hits(
    app, make_organizer, make_event, renders, monkeypatch
):
    event = make_event(make_organizer(), title="Walk and Talk")
    url = f"/events/{event.slug}"
    english = app.test_client().get(url, headers=ENGLISH).get_data(as_text=True)
    spanish = app.test_client().get(url, headers=SPANISH).get_data(as_text=True)
    assert (_lang(english), _lang(spanish)) == ("en", "es")
    assert renders == ["en", "es"]
    # The frame shown while a card is drawn says so in the page's language too (the
    # stylesheet shows the picture's data-drawing).
    assert 'data-drawing="Drawing the card…"' in english
    assert 'data-drawing="Dibujando la tarjeta…"' in spanish
    # From now on neither language reaches the view: both copies are in memory.
    monkeypatch.setitem(app.view_functions, "events.detail", _no_view)
    for _ in range(3):
        hit_en = app.test_client().get(url, headers=ENGLISH)
        hit_es = app.test_client().get(url, headers=SPANISH)
        assert (_lang(hit_en.get_data(as_text=True)), _lang(hit_es.get_data(as_text=True))) == (
            "en",
            "es",
        )
        for hit in (hit_en, hit_es):
            assert {"Accept-Encoding", "Accept-Language", "Cookie"} <= {
                part.strip() for part in hit.headers["Vary"].split(",")
            }
            assert "Set-Cookie" not in hit.headers
    # The cookie and ?lang= pick the same copies before Flask; ?lang= remembers itself.
    chooser = app.test_client()
    asked = chooser.get(f"{url}?lang=es", headers=ENGLISH)
    assert _lang(asked.get_data(as_text=True)) == "es"
    assert asked.headers["Set-Cookie"].startswith("lang=es;")
    assert _lang(chooser.get(url, headers=ENGLISH).get_data(as_text=True)) == "es"
    assert renders == ["en", "es"]


def test_a_single_language_visitor_hits_as_before(app, make_organizer, make_event, renders):
    event = make_event(make_organizer(), title="Walk and Talk")
    for _ in range(5):
        app.test_client().get(f"/events/{event.slug}", headers=SPANISH)
    assert renders == ["es"]
