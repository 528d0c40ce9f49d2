"""Every public page in the pseudo-locale: no text a visitor reads is left out of the
catalog (tests/support/i18n.py, untranslated_text), and the main flow in Spanish.

Each test renders its pages with `?lang=<pseudo_locale>` and passes the rows it made
(names, titles, places, times as the page formats them in the pseudo-locale) as data.
The cards' own words (preset names, their uses, alt texts, share-link names, the share
text and flyer sizes) come from campaign/graphics, whose translation is the cards' part of
issue 16: they are passed as data here, read from the same functions the pages use.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from campaign.core.timeutil import utcnow
from campaign.core.tokens import secret_keys
from campaign.extensions import db
from campaign.graphics.services.content import facts_query, load_content
from campaign.hosting.services.links import host_token
from campaign.i18n import display
from tests.hosting.conftest import only_proposal, proposal_form
from tests.signups.conftest import sign_started, token_of
from tests.support.i18n import (
    CLOSE,
    OPEN,
    PSEUDO_LOCALE,
    untranslated_text,
    without_card_glue,
)

from .test_untranslated import _campaign_data


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "SIGNUP_MIN_SECONDS": 0, "EVENTS_PER_PAGE": 2}


def _event_data(app: Flask, *events: Any) -> list[str]:
    """An event's own fields and its times and place as the pages write them."""
    found: list[str] = []
    with app.test_request_context(f"/?lang={PSEUDO_LOCALE}"):
        for event in events:
            found += [
                event.title,
                event.summary or "",
                event.venue or "",
                event.address or "",
                event.city or "",
                event.region or "",
                event.country or "",
                event.timezone.replace("_", " "),
                event.accessibility_notes or "",
                display.event_when(event),
                display.event_starts(event),
                display.event_place(event),
                event.organizer.name if event.organizer else "",
            ]
            found += _card_words(app, event)
    return found


def _card_words(app: Flask, event: Any) -> list[str]:
    """The words of the event's cards and share links (campaign/graphics, see above)."""
    jinja = app.jinja_env.globals
    refs = jinja["event_cards"](event)
    words = [t for ref in refs.values() for t in (ref.label, ref.use, ref.alt, ref.label.lower())]
    text = jinja["event_share_text"](event)
    words += [link.label for link in jinja["share_links"]("https://x.invalid/", text, event.title)]
    words += [label for _url, label in jinja["flyer_links"](event)]
    # Cards drop characters their fonts cannot draw, the pseudo-locale's brackets among
    # them: the place on the event's cards is its message without them.
    words.append(display.event_place(event).replace(OPEN, "").replace(CLOSE, ""))
    return [*words, text]


def _page(client: FlaskClient, url: str, status: int = 200, **kwargs: Any) -> str:
    method = client.post if "data" in kwargs else client.get
    joiner = "&" if "?" in url else "?"
    response = method(f"{url}{joiner}lang={PSEUDO_LOCALE}", follow_redirects=True, **kwargs)
    assert response.status_code == status, (url, response.status_code)
    page = response.get_data(as_text=True)
    assert f'<html lang="{PSEUDO_LOCALE}"' in page and "⟦" in page, url
    return page


def _clean(page: str, data: Iterable[str]) -> list[str]:
    # Visible text only: the page's own script-free markup, entities unescaped.
    return without_card_glue(untranslated_text(page, [html.unescape(d) for d in data if d]))


@pytest.fixture
def events(app: Flask, make_organizer: Any, make_event: Any) -> dict[str, Any]:
    host = make_organizer(email="host@example.org")
    return {
        "in_person": make_event(
            host,
            title="Walk and Talk",
            address="1 High Street",
            capacity=20,
            accessibility_notes="Step-free entrance.",
        ),
        "online": make_event(
            host,
            title="Evening Webinar",
            format="online",
            venue=None,
            city=None,
            region=None,
            country=None,
            join_url="https://meet.example.org/x",
            timezone="America/New_York",
        ),
        "hybrid": make_event(
            host, title="Hybrid Forum", format="hybrid", is_going_count_public=True
        ),
        "full": make_event(host, title="Tiny Meetup", capacity=1, is_waitlist_enabled=True),
        "closed": make_event(host, title="Closed Meetup", capacity=1, is_waitlist_enabled=False),
    }


def _fill(client: FlaskClient, event: Any, email: str, name: str = "Robin Vale") -> None:
    response = client.post(
        f"/events/{event.slug}/register",
        data={
            "name": name,
            "email": email,
            "started": sign_started(event, 60),
            "website": "",
            "ref": "",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


def test_the_listing_with_and_without_filters(pseudo_locale, app, client, campaign, events) -> None:
    data = [*_campaign_data(campaign), *_event_data(app, *events.values()), "Leeds", "England"]
    for url in (
        "/events",
        "/events?page=2",
        "/events?q=Walk&city=Leeds&region=England&online=1",
        "/events?when=range&from=not-a-date&to=2020-01-01",
        "/events?when=week",
        "/events?q=nothing-matches-this",
    ):
        assert _clean(_page(client, url), data) == [], url


def test_event_pages(pseudo_locale, app, client, campaign, events) -> None:
    _fill(client, events["full"], "first@example.org")
    _fill(client, events["closed"], "only@example.org")
    _fill(client, events["hybrid"], "going@example.org")
    data = [*_campaign_data(campaign), *_event_data(app, *events.values())]
    for event in events.values():
        page = _page(client, f"/events/{event.slug}")
        assert _clean(page, data) == [], event.title


def test_a_cancelled_and_a_past_event(pseudo_locale, app, client, campaign, events) -> None:
    cancelled, past = events["in_person"], events["online"]
    cancelled.status = "cancelled"
    past.starts_at, past.ends_at = (
        utcnow() - timedelta(days=3),
        utcnow() - timedelta(days=3, hours=-1),
    )
    db.session.commit()
    data = [*_campaign_data(campaign), *_event_data(app, cancelled, past)]
    for event in (cancelled, past):
        assert _clean(_page(client, f"/events/{event.slug}"), data) == [], event.title


def test_registration_errors_and_the_second_step(
    pseudo_locale, app, client, campaign, events
) -> None:
    event = events["in_person"]
    data = [*_campaign_data(campaign), *_event_data(app, event), "not-an-address"]
    bad = {"name": "", "email": "not-an-address", "started": sign_started(event, 60), "website": ""}
    page = _page(client, f"/events/{event.slug}/register", 400, data=bad)
    assert "⟦Enter your name.⟧" in page
    assert _clean(page, data) == []
    # No form token: the details come back on a "confirm your registration" page.
    page = _page(
        client,
        f"/events/{event.slug}/register",
        data={"name": "Robin Vale", "email": "r@example.org"},
    )
    assert _clean(page, [*data, "Robin Vale", "r@example.org"]) == []


def test_confirmation_resend_and_manage_pages(pseudo_locale, app, client, campaign, events) -> None:
    event = events["in_person"]
    _fill(client, event, "robin@example.org")
    data = [
        *_campaign_data(campaign),
        *_event_data(app, event),
        "Robin Vale",
        "Robin",
        "robin@example.org",
    ]
    assert _clean(_page(client, f"/events/{event.slug}/registered"), data) == []
    resent = _page(
        client,
        f"/events/{event.slug}/registered/resend",
        data={"email": "robin@example.org", "website": ""},
    )
    assert _clean(resent, data) == []
    token = token_of("robin@example.org")
    manage = _page(client, f"/r/{token}")
    code = re.search(r'check-in-pass__code">([^<]+)<', manage)
    assert code
    card_words = _gallery_data(manage)  # the attending card's alt text, sizes, links
    share = re.search(r'data-share-text="([^"]+)"', manage)
    assert share
    share_words = [html.unescape(share.group(1))]
    # The mail-language choice names each language in its own name; the test-only
    # pseudo-locale has none, so its code stands.
    data += [code.group(1), *card_words, *share_words, PSEUDO_LOCALE]
    assert _clean(manage, data) == []
    # The name on the card, then cancelling: the pages after each POST and their notices.
    for url in (f"/r/{token}/card-name", f"/r/{token}/cancel"):
        client.post(url, data={"show": "0"})
        assert _clean(_page(client, f"/r/{token}"), data) == [], url
    deleted = _page(client, f"/r/{token}/delete", data={})
    assert _clean(deleted, data) == []
    assert _clean(_page(client, "/r/not-a-token", 404), data) == []


def test_contact_the_host(pseudo_locale, app, client, campaign, events) -> None:
    event = events["in_person"]
    data = [*_campaign_data(campaign), *_event_data(app, event)]
    assert _clean(_page(client, f"/events/{event.slug}/contact"), data) == []
    bad = _page(
        client, f"/events/{event.slug}/contact", 400, data={"name": "", "email": "x", "message": ""}
    )
    assert _clean(bad, [*data, "x"]) == []


def test_facts_gallery_and_pages(pseudo_locale, app, client, campaign) -> None:
    load_content(campaign, utcnow(), approve=True)
    db.session.commit()
    cards = list(db.session.scalars(facts_query(campaign.id)))
    assert cards
    gallery = _page(client, "/facts")
    data = [*_campaign_data(campaign), *_gallery_data(gallery)]
    for card in cards:
        data += [
            card.myth,
            card.fact,
            card.reason or "",
            card.source_quote,
            card.source_title or "",
        ]
    assert _clean(gallery, data) == []
    assert _clean(_page(client, f"/facts/{cards[0].slug}"), data) == []
    source = re.search(r'href="/facts/sources/(\d+)"', gallery)
    assert source
    page = _page(client, f"/facts/sources/{source.group(1)}")
    data += [html.unescape(p) for p in re.findall(r"<p>([^<]+)</p>", page)]
    data += re.findall(r'source-page__meta">\s*([^,<]+)', page)
    assert _clean(page, data) == []


def _gallery_data(page: str) -> list[str]:
    """The cards' words on the gallery (alt texts, preset names and uses, share links)."""
    found = re.findall(r'alt="([^"]+)"', page)
    found += re.findall(r'class="menu__label">([^<]+)<', page)
    found += re.findall(r'class="download__use">([^<]+)<', page)
    found += re.findall(r'class="alt-text__body">([^<]+)<', page)
    found += re.findall(r'class="share-link share-link--\w+" href="[^"]+"[^>]*>([^<]+)<', page)
    found += re.findall(r"<cite>([^<]+)</cite>", page)
    found += re.findall(r"\(([^()<]+)\)", page)  # a source's author beside its title
    return [html.unescape(text).strip() for text in found]


def test_hosting_pages(pseudo_locale, app, client, campaign) -> None:
    data = [*_campaign_data(campaign), *_zone_names()]
    assert _clean(_page(client, "/host"), data) == []
    bad = _page(client, "/host", 400, data=proposal_form(title="", email="nope"))
    assert _clean(bad, [*data, *_proposal_data()]) == []
    assert client.post("/host", data=proposal_form()).status_code == 303
    assert _clean(_page(client, "/host/sent"), data) == []
    assert _clean(_page(client, "/host/resend"), data) == []
    assert _clean(_page(client, "/host/resend", data={"email": "ana.host@example.org"}), data) == []
    proposal = only_proposal()
    with app.test_request_context(f"/?lang={PSEUDO_LOCALE}"):
        token = host_token(proposal, secret_keys())
        data += [
            display.event_when(proposal),
            display.event_place(proposal),
            proposal.timezone.replace("_", " "),
        ]
    db.session.commit()
    data += [*_proposal_data(), *_zone_names()]
    assert _clean(_page(client, f"/host/{token}"), data) == []
    assert _clean(_page(client, f"/host/{token}/edit"), data) == []
    assert _clean(_page(client, "/host/not-a-token", 404), data) == []


def _zone_names() -> list[str]:
    """The time-zone picker's options: IANA names, the same in every language."""
    from campaign.core.timeutil import timezone_names

    return [name.replace("_", " ") for name in timezone_names()]


def _proposal_data() -> list[str]:
    form = proposal_form()
    return [
        str(v) for k, v in form.items() if k not in {"started", "format", "is_waitlist_enabled"}
    ] + [
        "ana.host@example.org",
        "nope",
    ]


def test_embed_pages(pseudo_locale, app, client, campaign, events) -> None:
    data = [*_campaign_data(campaign), *_event_data(app, *events.values()), "Leeds", "England"]
    for url in ("/embed/events", "/embed/events?page=2", "/embed/events?city=Nowhere"):
        assert _clean(_page(client, url), data) == [], url
    campaign.embed_origins = "https://partner.example.org"
    db.session.commit()
    refused = _page(
        client,
        "/embed/events",
        403,
        headers={"Sec-Fetch-Dest": "iframe", "Referer": "https://other.example.com/"},
    )
    assert _clean(refused, [*data, "https://other.example.com", "other.example.com"]) == []


def test_a_spanish_visitor_registers_and_manages(app, client, campaign, events) -> None:
    """The main flow with a browser set to Spanish: event page, registration,
    confirmation page, manage page, all in Spanish with times in Spanish."""
    spanish = {"Accept-Language": "es-ES,es;q=0.9"}
    event = events["in_person"]
    page = html.unescape(
        client.get(f"/events/{event.slug}", headers=spanish).get_data(as_text=True)
    )
    assert '<html lang="es"' in page
    assert "Inscribirme" in page and "Cuándo" in page and "Dónde" in page
    assert re.search(
        r"(lunes|martes|miércoles|jueves|viernes|sábado|domingo), \d+ de \w+ de \d{4}, 18:00", page
    )
    response = client.post(
        f"/events/{event.slug}/register",
        data={
            "name": "Lucía Pérez",
            "email": "lucia@example.org",
            "started": sign_started(event, 60),
            "website": "",
        },
        headers=spanish,
    )
    assert response.status_code == 303
    confirmation = html.unescape(
        client.get(response.headers["Location"], headers=spanish).get_data(as_text=True)
    )
    assert (
        "Revisa tu bandeja de entrada" in confirmation and "Gracias por inscribirte" in confirmation
    )
    manage = html.unescape(
        client.get(f"/r/{token_of('lucia@example.org')}", headers=spanish).get_data(as_text=True)
    )
    assert "Tienes plaza, Lucía." in manage and "Cancelar mi inscripción" in manage
    assert "Your registration" not in manage
    bad = client.post(
        f"/events/{event.slug}/register",
        data={"name": "", "email": "nope", "started": sign_started(event, 60), "website": ""},
        headers=spanish,
    )
    text = html.unescape(bad.get_data(as_text=True))
    assert "Escribe tu nombre." in text and "Escribe una dirección de correo válida" in text
