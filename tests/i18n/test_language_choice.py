"""The visitor's language on real pages: ?lang= sets a plain cookie (never a session),
the cookie and Accept-Language follow, <html lang dir>, hreflang and the switcher."""

from __future__ import annotations

import re

import pytest
from babel.dates import format_date
from flask import render_template_string
from flask_babel import gettext

from campaign import create_app
from campaign.i18n.web import in_locale

SESSION_COOKIE = "session"


def _html_lang(page: str) -> tuple[str, str]:
    found = re.search(r'<html lang="([^"]+)" dir="(ltr|rtl)">', page)
    assert found, "the page's <html> names its language and direction"
    return found.group(1), found.group(2)


def test_a_spanish_browser_gets_spanish_without_a_cookie(client, campaign) -> None:
    response = client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    page = response.get_data(as_text=True)
    assert _html_lang(page) == ("es", "ltr")
    assert "Busca un evento" in page and "Find an event" not in page
    assert format_date(campaign.day, "full", locale="es") in page
    assert "Set-Cookie" not in response.headers
    assert {"Accept-Language", "Cookie"} <= set(response.vary)


def test_lang_in_the_url_sets_a_cookie_that_later_pages_follow(app, campaign) -> None:
    client = app.test_client()
    first = client.get("/?lang=es", headers={"Accept-Language": "en"})
    assert _html_lang(first.get_data(as_text=True))[0] == "es"
    cookies = first.headers.getlist("Set-Cookie")
    assert len(cookies) == 1 and cookies[0].startswith("lang=es;")
    assert "SameSite=Lax" in cookies[0] and "Max-Age=31536000" in cookies[0]
    assert not any(c.startswith(f"{SESSION_COOKIE}=") for c in cookies)
    # The cookie now wins over the browser, on every page, and is not sent again.
    later = client.get("/events", headers={"Accept-Language": "en"})
    assert _html_lang(later.get_data(as_text=True))[0] == "es"
    assert "Set-Cookie" not in later.headers
    back = client.get("/?lang=en")
    assert back.headers["Set-Cookie"].startswith("lang=en;")
    assert _html_lang(client.get("/").get_data(as_text=True))[0] == "en"


@pytest.mark.parametrize("asked", ["xx", "", "es%00", "<script>"])
def test_an_unknown_lang_is_ignored(client, campaign, asked: str) -> None:
    response = client.get(f"/?lang={asked}", headers={"Accept-Language": "es"})
    assert response.status_code == 200
    assert _html_lang(response.get_data(as_text=True))[0] == "es"
    assert "Set-Cookie" not in response.headers


def test_event_urls_stay_the_same_in_every_language(client, make_organizer, make_event) -> None:
    event = make_event(make_organizer(), title="Walk and Talk")
    for lang in ("en", "es"):
        response = client.get(f"/events/{event.slug}?lang={lang}")
        assert response.status_code == 200
        assert _html_lang(response.get_data(as_text=True))[0] == lang


def test_public_pages_carry_alternates_and_a_switcher(client, campaign) -> None:
    page = client.get("/events?city=Austin&utm_source=x").get_data(as_text=True)
    base = "https://campaign.example.org/events"
    assert f'<link rel="alternate" hreflang="en" href="{base}?city=Austin&amp;lang=en">' in page
    assert f'<link rel="alternate" hreflang="es" href="{base}?city=Austin&amp;lang=es">' in page
    assert f'<link rel="alternate" hreflang="x-default" href="{base}?city=Austin">' in page
    switcher = re.search(
        r'<nav class="language-switcher" aria-label="Language">(.*?)</nav>', page, re.S
    )
    assert switcher, "a labelled language switcher"
    links = re.findall(
        r'<a href="([^"]+)" hreflang="(\w+)" lang="\w+" translate="no"([^>]*)>([^<]+)</a>',
        switcher.group(1),
    )
    assert [(href, lang, name) for href, lang, _, name in links] == [
        ("?city=Austin&amp;lang=en", "en", "English"),
        ("?city=Austin&amp;lang=es", "es", "Español"),
    ]
    assert 'aria-current="true"' in links[0][2] and "aria-current" not in links[1][2]
    assert "utm_source" not in page


def test_private_pages_carry_no_alternates_and_never_their_own_path(client, campaign) -> None:
    page = client.get("/r/not-a-real-token-abcdef").get_data(as_text=True)
    assert 'rel="alternate"' not in page and "not-a-real-token" not in page
    assert '<a href="?lang=es" hreflang="es" lang="es" translate="no">Español</a>' in page


def test_error_pages_switch_language_to_the_home_page(client, campaign) -> None:
    response = client.get("/no-such-page?lang=es")
    page = response.get_data(as_text=True)
    assert response.status_code == 404 and "Página no encontrada" in page
    assert 'hreflang="x-default"' not in page and "no-such-page" not in page
    assert '<a href="/?lang=en" hreflang="en" lang="en" translate="no">English</a>' in page


def test_right_to_left_locales_get_dir_rtl(app_config) -> None:
    app_config["LANGUAGES"] = ["en", "es", "ar"]
    app = create_app(app_config)
    with app.test_request_context("/?lang=ar"):
        html = render_template_string('<html lang="{{ current_locale }}" dir="{{ text_dir }}">')
    assert html == '<html lang="ar" dir="rtl">'


def test_in_locale_renders_for_someone_else(app) -> None:
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        with in_locale("es") as code:
            assert code == "es" and gettext("Page not found") == "Página no encontrada"
        with in_locale("xx") as code:  # unknown: the default
            assert code == "en" and gettext("Page not found") == "Page not found"
        assert gettext("Page not found") == "Page not found"
    with app.app_context(), in_locale("es"):  # outside a request: a scheduler job
        assert gettext("Page not found") == "Página no encontrada"
