"""Fixtures for the security audit: a seeded site whose objects fill every URL variable of
app.url_map, and test clients that behave like separate browsers on a real server.

The audit walks the URL map, so a route added later is walked too. A URL variable the
audit has no seeded value for fails the walk with a message saying where to add one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule

from campaign.campaigns.demo import seed_demo
from campaign.core.timeutil import utcnow
from campaign.events.models import Event
from campaign.extensions import db
from campaign.mail.models import OutboxMessage
from campaign.organizers import services as organizer_services
from campaign.organizers.models import Organizer
from campaign.signups import services as signup_services
from campaign.signups.models import Registration
from campaign.signups.tokens import manage_token, unsubscribe_signature
from tests.conftest import login

# URL variables naming something an organizer owns (directly, or through an event): another
# organizer must get 404 for every route that has one. organizer_id routes are admin-only.
# proposal_id routes are for reviewers only (admins, and organizers an admin allows).
OWNED_VARIABLES = {"event_id", "registration_id", "message_id", "organizer_id", "proposal_id"}
# URL variables naming campaign-wide content that every organizer may edit (the myth/fact
# cards): not "foreign" to any organizer, so only the anonymous check applies.
SHARED_VARIABLES = {"card_id", "source_id"}
# /manage routes that are public by design.
PUBLIC_MANAGE_ENDPOINTS = {"organizers.login", "organizers.accept_invite"}
IGNORED_METHODS = {"HEAD", "OPTIONS"}

OWNER_EVENT_TITLE = "Owner Only Strategy Evening"
REGISTRANT_EMAIL = "robin.registrant@example.org"

_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_CARD_URL = re.compile(r"/cards/([A-Za-z0-9_-]+)\.png")


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """The shared test config (CSRF off) with no minimum form fill time."""
    return {**app_config, "SIGNUP_MIN_SECONDS": 0}


def methods(rule: Rule) -> list[str]:
    """The methods a rule answers, without HEAD and OPTIONS."""
    return sorted((rule.methods or set()) - IGNORED_METHODS)


def blueprint_of(rule: Rule) -> str:
    return rule.endpoint.rpartition(".")[0]


def sorted_rules(app: Flask) -> list[Rule]:
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))


def manage_rules(app: Flask) -> list[Rule]:
    """Every /manage rule except the public sign-in and invitation pages."""
    return [
        r
        for r in sorted_rules(app)
        if r.rule.startswith("/manage") and r.endpoint not in PUBLIC_MANAGE_ENDPOINTS
    ]


@dataclass
class World:
    """The seeded site: who is who, and a value for each URL variable of each route."""

    admin: Organizer
    owner: Organizer
    stranger: Organizer
    event: Event
    registration_id: int
    # Strings from the owner's objects that must never reach another organizer.
    private: list[str]
    # Values by variable name, and by (blueprint, variable) where a name means
    # different things in different blueprints (slug, token).
    values: dict[str, object] = field(default_factory=dict)
    scoped: dict[tuple[str, str], object] = field(default_factory=dict)

    def value(self, name: str, rule: Rule) -> object:
        key = (blueprint_of(rule), name)
        if key in self.scoped:
            return self.scoped[key]
        if name in self.values:
            return self.values[name]
        pytest.fail(
            f"route {rule.rule} (endpoint {rule.endpoint}) has the URL variable <{name}>, "
            "which the audit has no seeded value for: seed an object and add it to "
            "World.values (or World.scoped for a name that differs by blueprint) in "
            "tests/audit/conftest.py"
        )

    def path(self, rule: Rule) -> str:
        """The rule's path with every variable replaced by a seeded object's value."""
        return _VARIABLE.sub(lambda m: str(self.value(m.group(1), rule)), rule.rule)


def sign_in(client: FlaskClient, organizer: Organizer | None) -> None:
    """Sign the client in as organizer (None: stay anonymous)."""
    if organizer is None:
        return
    response = login(client, organizer.email)
    assert response.status_code == 302, f"sign-in as {organizer.email}: {response.status_code}"


def _card_key(app: Flask, paths: list[str]) -> str | None:
    """A share-card key that a public page points at (keys are registered by the page)."""
    client = app.test_client()
    for path in paths:
        match = _CARD_URL.search(client.get(path).get_data(as_text=True))
        if match:
            return match.group(1)
    return None


def build_world(app: Flask, make_organizer: Callable[..., Organizer]) -> World:
    """The demo campaign, three organizers, and one object of every kind the URLs name."""
    config = app.config
    seed_demo(date.today(), config["DEMO_DAY_OFFSET_DAYS"], config["DEFAULT_DISCLAIMER"])
    db.session.commit()
    admin = make_organizer(email="audit.admin@example.org", admin=True)
    owner = make_organizer(email="audit.owner@example.org")
    stranger = make_organizer(email="audit.stranger@example.org")

    event = db.session.scalars(
        select(Event).where(Event.status == "published").order_by(Event.starts_at)
    ).first()
    assert event is not None, "the demo has a published event"
    event.organizer_id = owner.id
    event.title = OWNER_EVENT_TITLE
    db.session.commit()

    secret = config["SECRET_KEY"]
    result = signup_services.register(
        event.id,
        signup_services.SignupInput("Robin Registrant", REGISTRANT_EMAIL, True),
        utcnow(),
        secret,
    )
    db.session.commit()
    registration = db.session.get(Registration, result.registration_id)
    assert registration is not None
    message_id = db.session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.event_id == event.id).limit(1)
    )
    assert message_id is not None, "registering queued a confirmation mail"
    invite_token = organizer_services.invite(
        "audit.invitee@example.org", "Audit Invitee", admin, utcnow(), hours=24
    )
    db.session.commit()

    world = World(
        admin=admin,
        owner=owner,
        stranger=stranger,
        event=event,
        registration_id=registration.id,
        private=[OWNER_EVENT_TITLE, REGISTRANT_EMAIL],
    )
    world.values.update(
        event_id=event.id,
        registration_id=registration.id,
        message_id=message_id,
        organizer_id=owner.id,
        signature=unsubscribe_signature(secret, registration.id, registration.token_nonce),
        filename="css/app.css",
        size=192,  # /icon-<size>.png
        locale="es",  # a translation's language (event and pair translations)
    )
    world.scoped.update(
        {
            ("events", "slug"): event.slug,
            ("api", "slug"): event.slug,
            ("flyers", "slug"): event.slug,
            ("api", "rest"): "no-such-resource",
            ("signups", "slug"): event.slug,
            ("signups", "token"): manage_token(secret, registration.token_nonce),
            ("organizers", "token"): invite_token,
        }
    )
    _add_graphics_values(app, world)
    _add_hosting_values(world, secret)
    return world


def _add_hosting_values(world: World, secret: str) -> None:
    """A confirmed proposal approved as the owner's event, and its host's link token."""
    from campaign.hosting.models import HostProposal
    from campaign.hosting.services import links

    now = utcnow()
    event = world.event
    proposal = HostProposal(
        campaign_id=event.campaign_id,
        status="approved",
        host_name="Harper Host",
        host_email="harper.host@example.org",
        title=event.title,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        timezone=event.timezone,
        format=event.format,
        city=event.city,
        capacity=20,
        event_id=event.id,
        created_at=now,
        confirmed_at=now,
        submitted_at=now,
        decided_at=now,
        token_nonce="",
        token_hash="",
    )
    links.issue_link(proposal, secret)
    db.session.add(proposal)
    db.session.commit()
    world.values["proposal_id"] = proposal.id
    world.scoped[("hosting", "token")] = links.host_token(proposal, [secret])
    world.private.append("harper.host@example.org")


def _add_graphics_values(app: Flask, world: World) -> None:
    """The myth/fact card ids and slugs, and a card image key, when the feature exists."""
    try:
        from campaign.graphics.models import FactCard
    except ImportError:  # not built yet: its routes (if any) will fail the walk clearly
        return
    card = db.session.scalars(select(FactCard).order_by(FactCard.position)).first()
    if card is not None:
        world.values["card_id"] = card.id
        world.scoped[("graphics", "slug")] = card.slug
        if card.source_id is not None:  # the source the cards quote, with its full text
            world.values["source_id"] = card.source_id
    world.values["width"], world.values["fmt"] = 360, "webp"  # a card's page thumbnail
    key = _card_key(app, ["/facts", f"/events/{world.event.slug}", "/"])
    if key is not None:
        world.values["key"] = key


@pytest.fixture
def world(app: Flask, make_organizer: Callable[..., Organizer]) -> World:
    return build_world(app, make_organizer)
