"""Link previews: a pasted event link shows the event card on Facebook, X and WhatsApp."""

from __future__ import annotations

import pytest

from campaign.cardrender import alt_text
from campaign.graphics.services import cardspecs
from campaign.graphics.services.refs import card_ref, event_refs

from .conftest import meta, png_size

BASE = "https://campaign.example.org"
CRAWLERS = {
    "facebook": "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "x": "Twitterbot/1.0",
    "whatsapp": "WhatsApp/2.23.20.0",
}


@pytest.fixture
def event(make_organizer, make_event):
    return make_event(
        make_organizer(),
        title="Understanding Ketamine: A Community Talk",
        summary="An evening talk on ketamine treatment.",
    )


@pytest.mark.parametrize("crawler", sorted(CRAWLERS))
def test_event_page_tags_and_image_for_crawlers(app, anon, event, crawler):
    headers = {"User-Agent": CRAWLERS[crawler]}
    response = anon.get(f"/events/{event.slug}", headers=headers)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    spec = cardspecs.event_spec(event)
    key = card_ref(spec, "og", event.slug).key
    image_url = f"{BASE}/cards/{key}.png"
    assert meta(html, "og:title") == event.title
    assert meta(html, "og:type") == "website"
    assert meta(html, "og:url") == f"{BASE}/events/{event.slug}"
    assert event.when_text in meta(html, "og:description")
    assert meta(html, "og:image") == image_url
    assert meta(html, "og:image:width") == "1200"
    assert meta(html, "og:image:height") == "630"
    assert meta(html, "og:image:type") == "image/png"
    assert meta(html, "og:image:alt") == alt_text(spec, "og")
    assert event.title in meta(html, "og:image:alt")
    assert meta(html, "twitter:card") == "summary_large_image"
    assert meta(html, "twitter:image") == image_url
    assert meta(html, "twitter:image:alt") == alt_text(spec, "og")

    image = anon.get(image_url.removeprefix(BASE), headers=headers)
    assert image.status_code == 200
    assert image.mimetype == "image/png"
    assert image.headers.getlist("Set-Cookie") == []
    data = image.get_data()
    assert len(data) <= 300 * 1024
    assert png_size(data) == (1200, 630)


def test_the_canonical_url_drops_the_referral_code(anon, event):
    html = anon.get(f"/events/{event.slug}?ref=abc123").get_data(as_text=True)
    assert meta(html, "og:url") == f"{BASE}/events/{event.slug}"


def test_the_event_page_offers_the_card_to_share(anon, event):
    html = anon.get(f"/events/{event.slug}").get_data(as_text=True)
    refs = event_refs(event)
    for preset, ref in refs.items():
        assert f'download="{event.slug}-{preset}.png"' in html
        assert f"/cards/{ref.key}.png" in html
    assert "Share this event" in html and "Copy alt text" in html


def test_the_qr_code_points_at_the_absolute_event_url(event):
    assert cardspecs.event_spec(event).url_for_qr == f"{BASE}/events/{event.slug}"


def test_the_card_shows_the_time_in_the_events_zone(make_organizer, make_event):
    event = make_event(make_organizer(), timezone="America/New_York")
    spec = cardspecs.event_spec(event)
    assert spec.when_text == event.starts_text
    assert spec.when_text.endswith(("EST", "EDT"))
    online = make_event(make_organizer(), format="online", venue="", city="")
    assert cardspecs.event_spec(online).place_text == "Online"
