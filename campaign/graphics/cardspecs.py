"""Card specs from the data: the frozen specs render.py draws, built from rows and stored.

The renderer (render.py) stays pure: this module turns rows into frozen specs for it.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date, datetime
from typing import Any

from campaign.campaigns.models import Campaign
from campaign.core.timeutil import days_until, to_local
from campaign.core.urls import absolute_url
from campaign.events.models import Event
from campaign.graphics.models import FactCard
from campaign.graphics.specs import (
    DEFAULT_THEME,
    AttendingCard,
    CardSpec,
    CountdownCard,
    EventCard,
    MythFactCard,
    Theme,
)
from campaign.graphics.theme import campaign_theme, logo_by_digest, logo_bytes
from campaign.signups.models import Registration

SPEC_TYPES: dict[str, type] = {
    "myth_fact": MythFactCard,
    "event": EventCard,
    "attending": AttendingCard,
    "countdown": CountdownCard,
}


def myth_fact_spec(campaign: Campaign, myth: str, fact: str, source_title: str) -> MythFactCard:
    """The spec of a myth/fact card with the campaign's brand."""
    return MythFactCard(
        myth=myth,
        fact=fact,
        source_title=source_title,
        disclaimer=campaign.disclaimer,
        campaign_name=campaign.name,
        hashtag=campaign.hashtag,
        theme=campaign_theme(campaign),
        logo=logo_bytes(campaign),
    )


def fact_spec(card: FactCard) -> MythFactCard:
    return myth_fact_spec(card.campaign, card.myth, card.fact, card.source_title)


def event_spec(event: Event) -> EventCard:
    """The event card: title, local time with the zone, place, brand and the QR link."""
    campaign = event.campaign
    return EventCard(
        title=event.title,
        # The start in the event's zone: a share card has no room for a range.
        when_text=event.starts_text,
        place_text=event.place_text,
        campaign_name=campaign.name,
        hashtag=campaign.hashtag,
        url_for_qr=absolute_url("events.detail", slug=event.slug),
        theme=campaign_theme(campaign),
        logo=logo_bytes(campaign),
    )


def attending_spec(registration: Registration) -> AttendingCard:
    """The "I'm attending" card from the stored registration (the name only with opt-in)."""
    event = registration.event
    campaign = event.campaign
    name = registration.first_name if registration.is_name_on_card else ""
    return AttendingCard(
        first_name=name or None,
        event_title=event.title,
        # The start in the event's zone: a share card has no room for a range.
        when_text=event.starts_text,
        place_text=event.place_text,
        campaign_name=campaign.name,
        hashtag=campaign.hashtag,
        theme=campaign_theme(campaign),
        logo=logo_bytes(campaign),
    )


def days_to_go(campaign: Campaign, now: datetime) -> int:
    """Days from today (in the campaign's zone) to the day; negative once it has passed."""
    return days_until(campaign.day, to_local(now, campaign.timezone).date())


def day_text(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def countdown_spec(campaign: Campaign, now: datetime) -> CountdownCard | None:
    """The countdown card for today in the campaign's zone (None after the day)."""
    days = days_to_go(campaign, now)
    if days < 0:
        return None
    return CountdownCard(
        days=days,
        campaign_name=campaign.name,
        day_text=day_text(campaign.day),
        tagline=campaign.tagline,
        hashtag=campaign.hashtag,
        theme=campaign_theme(campaign),
        logo=logo_bytes(campaign),
    )


def spec_to_json(spec: CardSpec) -> dict[str, Any]:
    """A spec as JSON-able data, the logo replaced by its digest."""
    data: dict[str, Any] = {}
    for f in dataclasses.fields(spec):
        value = getattr(spec, f.name)
        if f.name == "logo":
            data["logo_sha256"] = hashlib.sha256(value).hexdigest() if value else None
        elif f.name == "theme":
            data["theme"] = dataclasses.asdict(value)
        else:
            data[f.name] = value
    return data


def spec_from_json(kind: str, data: dict[str, Any]) -> CardSpec:
    """The spec stored by spec_to_json."""
    values = dict(data)
    digest = values.pop("logo_sha256", None)
    values["theme"] = Theme(**values.get("theme", dataclasses.asdict(DEFAULT_THEME)))
    values["logo"] = logo_by_digest(digest) if digest else None
    return SPEC_TYPES[kind](**values)
