"""Sized card thumbnails for pages (WebP and PNG, gone with their pair), pre-rendering after
approval, and text the cards cannot draw refused where it is typed, with the character named."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from PIL import Image

from campaign.core.timeutil import utcnow
from campaign.events import services as event_services
from campaign.extensions import db
from campaign.graphics.services import housekeeping, publication, registry, thumbs
from campaign.graphics.services.refs import fact_refs

from .conftest import ARTICLE_SENTENCE, card_keys
from .pages import parse

THAI = "สมชาย"


def test_thumbnails_are_sized_webp_or_png_and_go_with_their_pair(client, anon, admin, content):
    pair = content[0]
    html = client.get("/facts").get_data(as_text=True)
    key = fact_refs(pair)["square"].key
    assert key in card_keys(html)
    for width, fmt, kind in ((360, "webp", "WEBP"), (720, "png", "PNG")):
        response = anon.get(f"/cards/{key}/w{width}.{fmt}")
        assert response.status_code == 200
        assert response.mimetype == f"image/{fmt}"
        assert "immutable" in response.headers["Cache-Control"]
        assert "Set-Cookie" not in response.headers
        with Image.open(io.BytesIO(response.get_data())) as image:
            assert image.format == kind and image.size == (width, width)
    assert anon.get(f"/cards/{key}/w361.webp").status_code == 404
    assert anon.get(f"/cards/{key}/w360.gif").status_code == 404
    assert anon.get(f"/cards/{'0' * 32}/w360.webp").status_code == 404
    assert thumbs.thumb_store(360, "webp").read(key) is not None

    publication.withdraw_fact(pair, admin, utcnow())
    db.session.commit()
    assert thumbs.thumb_store(360, "webp").read(key) is None, "deleted with the pair's cards"
    assert anon.get(f"/cards/{key}/w360.webp").status_code == 410


def test_the_first_card_is_not_lazy_and_every_card_is_sized(client, content):
    page = parse(client.get("/facts").get_data(as_text=True))
    images = page.find_all("img", **{"class": "fact-item__image"})
    assert len(images) == len(content)
    assert "loading" not in images[0].attrs and images[0].attrs["fetchpriority"] == "high"
    assert all(image.attrs.get("loading") == "lazy" for image in images[1:])
    for image in images:
        assert (image.attrs["width"], image.attrs["height"]) == ("1080", "1080")
        assert image.attrs["alt"].startswith("Fact:")
        assert "w360.png 360w" in image.attrs["srcset"] and "1080w" in image.attrs["srcset"]


def test_home_page_featured_facts_carry_the_fact_and_full_alt_text(client, content):
    page = parse(client.get("/").get_data(as_text=True))
    links = page.find_all("a", **{"class": "featured-fact__link"})
    assert links
    for link, pair in zip(links, content, strict=False):
        (image,) = link.find_all("img")
        assert image.attrs["alt"].startswith(f"Fact: {pair.fact}")
        assert pair.fact in link.all_text
    first = links[0].find_all("img")[0]
    assert "loading" not in first.attrs


def test_approval_prerenders_the_set(app, campaign, admin, add_fact):
    pair = add_fact(approved=False)
    publication.approve_fact(campaign, pair, admin, utcnow())
    db.session.commit()
    written = housekeeping.prerender_facts(campaign.id)
    assert written == 4 + 8  # every preset, and the square card's thumbnails (4 widths, 2 types)
    refs = fact_refs(pair)
    store = registry.card_store()
    assert all(store.read(ref.key) is not None for ref in refs.values())
    assert housekeeping.prerender_facts(campaign.id) == 0, "nothing left to draw"


def test_the_content_editor_names_a_character_the_cards_cannot_draw(
    client, login_as, organizer, campaign, source
):
    login_as(organizer)
    data = {
        "myth": f"Ketamine is called {THAI}.",
        "fact": "Ketamine treatment is most effective when combined with therapy.",
        "source_quote": ARTICLE_SENTENCE,
        "action": "save",
    }
    response = client.post("/manage/content/new", data=data)
    assert response.status_code == 400
    error = parse(response.get_data(as_text=True)).by_id("myth-error")
    assert error is not None and "“ส” (U+0E2A THAI CHARACTER SO SUA)" in error.all_text
    assert client.post("/manage/content/preview", data=data).status_code == 422


def test_the_event_form_names_a_character_the_cards_cannot_draw(make_organizer, make_event):
    event = make_event(make_organizer(), title="Walk and Talk")
    start = datetime.now() + timedelta(days=10)
    for field in ("title", "summary", "venue", "city"):
        values = {"title": "Walk and Talk", "summary": "", "venue": "Hall", "city": "Leeds"}
        values[field] = f"Meet {THAI[0]} ሰ"
        data = event_services.EventInput(
            starts_local=start.replace(microsecond=0),
            ends_local=(start + timedelta(hours=1)).replace(microsecond=0),
            timezone=event.timezone,
            **values,
        )
        try:
            event_services.validate(data)
        except event_services.EventValidationError as exc:
            assert "U+0E2A THAI CHARACTER SO SUA" in exc.errors[field]
            assert "U+1230 ETHIOPIC SYLLABLE SA" in exc.errors[field]
        else:
            raise AssertionError(f"{field} with undrawable characters was accepted")


def test_a_name_the_cards_cannot_draw_is_refused_for_the_card(client, make_organizer, make_event):
    from flask import current_app

    from campaign.signups import services as signups
    from campaign.signups.models import Registration
    from campaign.signups.tokens import manage_token

    event = make_event(make_organizer(), title="Walk and Talk")
    result = signups.register_by_slug(
        event.slug,
        signups.SignupInput(f"{THAI} Dee", "somchai@example.org", False, ""),
        utcnow(),
        current_app.config["SECRET_KEY"],
    )
    db.session.commit()
    registration = db.session.get(Registration, result.registration_id)
    assert registration is not None
    token = manage_token(current_app.config["SECRET_KEY"], registration.token_nonce)
    response = client.post(f"/r/{token}/card-name", data={"show": "1"}, follow_redirects=True)
    assert "cannot draw “ส” (U+0E2A THAI CHARACTER SO SUA)" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).is_name_on_card is False
