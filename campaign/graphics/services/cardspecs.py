"""Card specs from the data: the frozen specs cardrender draws, built from rows and stored.

The renderer (campaign.cardrender) stays pure: this module turns rows into frozen specs for
it, names the presets every card comes in, and draws a spec as PNG bytes.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from campaign import cardrender
from campaign.campaigns.models import Campaign
from campaign.cardrender import (
    DEFAULT_THEME,
    AttendingCard,
    CardSpec,
    CountdownCard,
    EventCard,
    MythFactCard,
    Theme,
    short_address,
)
from campaign.core.text import slugify
from campaign.core.timeutil import days_until, to_local
from campaign.core.urls import absolute_url
from campaign.events.models import Event
from campaign.events.translations import localized
from campaign.extensions import db
from campaign.graphics.models import SLUG_MAX, FactCard, FactTexts, Source
from campaign.graphics.services import cardlabels, fact_translations
from campaign.graphics.services.cardlabels import card_labels, rendering_locale, when_text
from campaign.graphics.services.photo import photo_by_digest, photo_bytes
from campaign.graphics.services.theme import campaign_theme, logo_by_digest, logo_bytes
from campaign.i18n import display
from campaign.i18n.markers import N_
from campaign.i18n.web import translate_stored
from campaign.signups.models import Registration

# Presets in the order pages list them, with what each is for.
PRESET_ORDER = ("og", "square", "portrait", "story")
# Marked for the catalog; translated where shown (gettext(PRESET_LABELS[name])).
PRESET_LABELS = {
    "og": N_("Link preview"),
    "square": N_("Square"),
    "portrait": N_("Portrait"),
    "story": N_("Story"),
}
PRESET_USES = {
    "og": N_("Links on X, Facebook, LinkedIn"),
    "square": N_("Instagram and Facebook posts"),
    "portrait": N_("Instagram feed"),
    "story": N_("Instagram and WhatsApp stories"),
}
OG_PRESET = "og"

SPEC_TYPES: dict[str, type[CardSpec]] = {
    "myth_fact": MythFactCard,
    "event": EventCard,
    "attending": AttendingCard,
    "countdown": CountdownCard,
}


def page_address(endpoint: str, **values: object) -> str:
    """A page's short address as a card prints it: the base URL's host and the path."""
    return short_address(absolute_url(endpoint, **values))


def myth_fact_spec(
    campaign: Campaign,
    myth: str,
    fact: str,
    source_title: str,
    *,
    source_url: str = "",
    slug: str = "",
    reason: str = "",
    type_sizes: tuple[tuple[str, int, int], ...] = (),
) -> MythFactCard:
    """The spec of a myth/fact card with the campaign's brand, the source's short address
    and the pair's own page address (from the base URL; a draft without a slug yet gets
    the address its slug would give), or the gallery's where the pair's is too long. The
    reason and the campaign's call to action are drawn where the renderer finds room."""
    spec = MythFactCard(
        myth=myth,
        fact=fact,
        source_title=source_title,
        reason=reason,
        call_to_action=campaign.call_to_action,
        disclaimer=translate_stored(campaign.disclaimer),
        campaign_name=campaign.name,
        hashtag=campaign.hashtag,
        theme=campaign_theme(campaign),
        logo=logo_bytes(campaign),
        photo=photo_bytes(campaign),
        source_address=short_address(source_url) if source_url else "",
        address=page_address("graphics.fact", slug=slug or slugify(myth, SLUG_MAX, "fact")),
        type_sizes=type_sizes,
        labels=card_labels(),
    )
    if not _alt_text_fits(spec):
        # The alt text holds every word on the card in 420 characters; when the pair's own
        # address would push it over, the card gives the gallery's shorter one instead.
        spec = dataclasses.replace(spec, address=page_address("graphics.facts"))
    return spec


@lru_cache(maxsize=1024)
def _alt_text_fits(spec: MythFactCard) -> bool:
    """Whether the card's alt text (every word on it) fits its limit in every preset."""
    try:
        for preset in PRESET_ORDER:
            cardrender.alt_text(spec, preset)
    except cardrender.TextDoesNotFit:
        return False
    return True


def fact_spec(card: FactCard, type_sizes: tuple[tuple[str, int, int], ...] = ()) -> MythFactCard:
    """The card of a stored pair's live text in the current locale: its approved
    translation there, else the pair as written (type_sizes: the set's pins, see
    set_specs). The source's title stays in the source's language."""
    source_url = card.source.url if card.source is not None else ""
    text = fact_translations.fact_text(card, rendering_locale())
    return myth_fact_spec(
        card.campaign,
        text.myth,
        text.fact,
        card.source_title,
        source_url=source_url,
        slug=card.slug,
        reason=text.reason,
        type_sizes=type_sizes,
    )


def texts_spec(campaign: Campaign, texts: FactTexts, slug: str) -> MythFactCard:
    """The card of a pair's texts that are not (or not yet) live: a draft, a pending edit."""
    source = db.session.get(Source, texts.source_id) if texts.source_id is not None else None
    return myth_fact_spec(
        campaign,
        texts.myth,
        texts.fact,
        texts.source_title,
        source_url=source.url if source is not None else "",
        slug=slug,
        reason=texts.reason,
    )


@lru_cache(maxsize=512)
def _fits_every_preset(spec: MythFactCard) -> bool:
    """Whether the card and its alt text fit every preset (cached: pages ask about the
    same cards)."""
    try:
        for preset in PRESET_ORDER:
            cardrender.plan_card(spec, preset)
    except cardrender.TextDoesNotFit:
        return False
    return _alt_text_fits(spec)


@lru_cache(maxsize=64)
def _set_pins(specs: tuple[MythFactCard, ...]) -> tuple[tuple[str, int, int], ...]:
    """fit_set for a set of specs (cached: every page of the set asks for the same)."""
    return cardrender.fit_set(specs)


def set_specs(cards: list[FactCard]) -> dict[int, MythFactCard]:
    """pair id -> its card with one fact size and one myth size per preset across the set
    (a carousel reads evenly); pairs that do not fit the cards are left out."""
    plain: dict[int, MythFactCard] = {}
    for card in cards:
        spec = fact_spec(card)
        if _fits_every_preset(spec):
            plain[card.id] = spec
    if not plain:
        return {}
    pins = _set_pins(tuple(plain.values()))
    return {card_id: dataclasses.replace(spec, type_sizes=pins) for card_id, spec in plain.items()}


def event_spec(event: Event) -> EventCard:
    """The event card: title, local time with the zone, place, brand and the QR link."""
    campaign = event.campaign
    return EventCard(
        title=localized(event, rendering_locale()).title,
        # The start in the event's zone: a share card has no room for a range.
        when_text=when_text(event.starts_at, event.timezone),
        place_text=display.event_place(event),
        campaign_name=campaign.name,
        hashtag=campaign.hashtag,
        url_for_qr=absolute_url("events.detail", slug=event.slug),
        address=page_address("events.detail", slug=event.slug),
        theme=campaign_theme(campaign),
        logo=logo_bytes(campaign),
        photo=photo_bytes(campaign),
        labels=card_labels(),
    )


def attending_spec(registration: Registration) -> AttendingCard:
    """The "I'm attending" card from the stored registration (the name only with opt-in)."""
    event = registration.event
    campaign = event.campaign
    name = registration.first_name if registration.is_name_on_card else ""
    return AttendingCard(
        first_name=name or None,
        event_title=localized(event, rendering_locale()).title,
        # The start in the event's zone: a share card has no room for a range.
        when_text=when_text(event.starts_at, event.timezone),
        place_text=display.event_place(event),
        campaign_name=campaign.name,
        hashtag=campaign.hashtag,
        theme=campaign_theme(campaign),
        logo=logo_bytes(campaign),
        photo=photo_bytes(campaign),
        address=page_address("events.detail", slug=event.slug),
        labels=card_labels(),
    )


def days_to_go(campaign: Campaign, now: datetime) -> int:
    """Days from today (in the campaign's zone) to the day; negative once it has passed."""
    return days_until(campaign.day, to_local(now, campaign.timezone).date())


def day_text(day: date) -> str:
    """The campaign day as the countdown card writes it (weekday, day, month and year, in
    the current locale)."""
    return cardlabels.day_text(day)


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
        photo=photo_bytes(campaign),
        address=page_address("campaigns.home"),
        labels=card_labels(days),
    )


def spec_to_json(spec: CardSpec) -> dict[str, Any]:
    """A spec as JSON-able data, the logo replaced by its digest."""
    data: dict[str, Any] = {}
    for f in dataclasses.fields(spec):
        value = getattr(spec, f.name)
        if f.name == "logo":
            data["logo_sha256"] = hashlib.sha256(value).hexdigest() if value else None
        elif f.name == "photo":
            data["photo_sha256"] = hashlib.sha256(value).hexdigest() if value else None
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
    photo = values.pop("photo_sha256", None)
    values["photo"] = photo_by_digest(photo) if photo else None
    return SPEC_TYPES[kind](**values)


def render_png(spec: CardSpec, preset: str) -> bytes:
    """Render and encode one card (raises cardrender.TextDoesNotFit)."""
    return cardrender.encode_png(cardrender.render(spec, preset))
