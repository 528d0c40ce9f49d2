"""The organizers' side stays in English (issue 16, point 7) while the public side follows
the visitor: a Spanish browser, ?lang=es or the `lang` cookie change public pages only."""

from __future__ import annotations

import re

import pytest

from campaign.i18n.negotiation import is_organizer_path

SPANISH = {"Accept-Language": "es-MX,es;q=0.9"}


def _html_lang(page: str) -> str:
    found = re.search(r'<html lang="([^"]+)"', page)
    assert found, "the page's <html> names its language"
    return found.group(1)


def test_a_spanish_organizer_sees_english_manage_pages_and_spanish_public_ones(
    client, campaign, make_organizer, login_as
) -> None:
    organizer = make_organizer()
    login_as(organizer)
    for path in ("/manage/", "/manage/events", "/manage/outbox"):
        response = client.get(path, headers=SPANISH)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert _html_lang(page) == "en", path
        assert ">Dashboard</a>" in page and "Sign out" in page, path
        assert "language-switcher" not in page and 'rel="alternate"' not in page, path
    public = client.get("/", headers=SPANISH).get_data(as_text=True)
    assert _html_lang(public) == "es" and "Busca un evento" in public
    assert "language-switcher" in public


def test_the_sign_in_page_ignores_lang_and_the_cookie(client, campaign) -> None:
    response = client.get("/manage/login?lang=es", headers=SPANISH)
    page = response.get_data(as_text=True)
    assert _html_lang(page) == "en" and "<h1>Organizer sign-in</h1>" in page
    assert "Todos los eventos" not in page and "All events" in page
    assert "language-switcher" not in page
    assert "Set-Cookie" not in response.headers  # ?lang= chose nothing here
    client.set_cookie("lang", "es")
    assert _html_lang(client.get("/manage/login").get_data(as_text=True)) == "en"
    assert _html_lang(client.get("/events").get_data(as_text=True)) == "es"


@pytest.mark.parametrize(
    ("path", "organizer"),
    [
        ("/manage", True),
        ("/manage/", True),
        ("/manage/login", True),
        ("/manage/events/3/attendees", True),
        ("/managers", False),
        ("/events/manage", False),
        ("/", False),
        ("/host/abc/edit", False),
    ],
)
def test_which_paths_are_the_organizers(path: str, organizer: bool) -> None:
    assert is_organizer_path(path) is organizer
