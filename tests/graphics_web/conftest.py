"""Fixtures for the share-graphics web tests: content, accounts, keys found in pages."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from campaign.campaigns.models import Campaign
from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.graphics.models import FactCard, Source
from campaign.graphics.services.content import (
    ContentInput,
    create_fact,
    facts_query,
    load_content,
    read_content_file,
)
from campaign.graphics.services.sources import source_from_file
from campaign.organizers.models import Organizer
from campaign.signups import services as signups
from campaign.signups.models import Registration
from tests.browser.conftest import browser, demo_server, live_server, new_page  # noqa: F401 (fixtures)

CARD_URL = re.compile(r"/cards/([0-9a-f]{32})\.png")


def card_keys(html: str) -> list[str]:
    """Every card key a page points at, in order of appearance, without repeats."""
    seen: dict[str, None] = {}
    for key in CARD_URL.findall(html):
        seen.setdefault(key, None)
    return list(seen)


def meta(html: str, name: str) -> str | None:
    """The content of <meta property|name="name" content="...">, unescaped."""
    import html as html_lib

    match = re.search(r'<meta (?:property|name)="' + re.escape(name) + r'" content="([^"]*)"', html)
    return html_lib.unescape(match.group(1)) if match else None


def png_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        return image.size


@pytest.fixture
def admin(make_organizer: Callable[..., Organizer]) -> Organizer:
    return make_organizer("alex.admin@example.org", admin=True)


@pytest.fixture
def organizer(make_organizer: Callable[..., Organizer]) -> Organizer:
    return make_organizer("sam.organizer@example.org")


@pytest.fixture
def content(app: Flask, campaign: Campaign) -> list[FactCard]:
    """The default myth/fact set, approved (as seed-demo loads it)."""
    load_content(campaign, utcnow(), approve=True)
    db.session.commit()
    return list(db.session.scalars(facts_query(campaign.id)))


# A sentence of the campaign's article (assets/content/source-article.txt).
ARTICLE_SENTENCE = (
    "Ketamine treatment is most effective when combined with therapy, as it allows "
    "individuals to process their emotions and experiences more effectively."
)


@pytest.fixture
def source(app: Flask, campaign: Campaign) -> Source:
    """The campaign's article as its source (as seed-demo and load-content add it)."""
    content_file = read_content_file()
    row = source_from_file(campaign, content_file.source, content_file.source_text_path)
    db.session.commit()
    return row


@pytest.fixture
def add_fact(app: Flask, campaign: Campaign, source: Source) -> Callable[..., FactCard]:
    """Factory: add_fact(myth=..., fact=..., approved=False) -> a pair of the campaign."""
    counter = iter(range(1, 10_000))

    def make(approved: bool = False, **fields: Any) -> FactCard:
        n = next(counter)
        data = ContentInput(
            myth=fields.get("myth", f"Myth number {n} is widely believed."),
            fact=fields.get("fact", f"Fact number {n} is what the source says."),
            source_quote=fields.get("source_quote", ARTICLE_SENTENCE),
            slug=fields.get("slug", ""),
        )
        card = create_fact(campaign, data)
        if approved:
            card.approve(None, utcnow())
        db.session.commit()
        return card

    return make


@pytest.fixture
def register_person(app: Flask) -> Callable[..., Registration]:
    """Factory: register_person(event, name, email) -> the committed registration, made
    as the public form makes it (no name on the card)."""

    def register(event: Any, name: str, email: str) -> Registration:
        result = signups.register_by_slug(
            event.slug,
            signups.SignupInput(name, email, False, ""),
            utcnow(),
            app.config["SECRET_KEY"],
        )
        db.session.commit()
        registration = db.session.get(Registration, result.registration_id)
        assert registration is not None
        return registration

    return register


@pytest.fixture
def anon(app: Flask) -> FlaskClient:
    """A second client with no cookies at all (a link-preview crawler)."""
    return app.test_client(use_cookies=False)
