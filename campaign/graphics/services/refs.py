"""Card references as pages and mail use them: URL (current key), size, alt text, file name.

Asking for a reference registers its key (see registry.py), so /cards/<key>.png can serve
the card the page or the message points at.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from flask import has_request_context, url_for
from flask_babel import gettext

from campaign import cardrender
from campaign.campaigns.models import Campaign
from campaign.cardrender import PRESETS, CardSpec
from campaign.core.urls import absolute_url
from campaign.events.models import Event
from campaign.graphics.models import FactCard, FactTexts
from campaign.graphics.services.alt_memo import card_alt
from campaign.graphics.services.cardspecs import (
    PRESET_LABELS,
    PRESET_ORDER,
    PRESET_USES,
    attending_spec,
    countdown_spec,
    event_spec,
    render_png,
    set_specs,
    spec_to_json,
    texts_spec,
)
from campaign.graphics.services.content import approved_facts
from campaign.graphics.services.registry import (
    card_key,
    is_named,
    key_for,
    register_keys,
    register_later,
)
from campaign.graphics.services.thumbs import THUMB_WIDTHS
from campaign.signups.models import Registration

log = logging.getLogger(__name__)


@lru_cache(maxsize=2048)
def _alt(spec: CardSpec, preset: str) -> str:
    """The card's alt text (cached: pages ask for the same cards; kept on disk unless the
    card shows a registrant's name)."""
    return card_alt(spec, preset, None if is_named(spec) else card_key(spec, preset))


@dataclass(frozen=True)
class CardRef:
    """One rendered card as pages use it: URL (current key), size, alt text, file name."""

    key: str
    kind: str
    preset: str
    url: str
    absolute_url: str
    alt: str
    filename: str

    @property
    def width(self) -> int:
        """The card's width in pixels."""
        return PRESETS[self.preset].width

    @property
    def height(self) -> int:
        """The card's height in pixels."""
        return PRESETS[self.preset].height

    @property
    def label(self) -> str:
        """The preset's name for people ("Link preview", "Square", ...)."""
        return str(gettext(PRESET_LABELS[self.preset]))

    @property
    def use(self) -> str:
        """Where the preset is for ("Instagram feed", ...)."""
        return str(gettext(PRESET_USES[self.preset]))

    def thumb_url(self, width: int, fmt: str) -> str:
        """The URL of the card scaled to width pixels as fmt ("webp" or "png")."""
        return f"{self.url.removesuffix('.png')}/w{width}.{fmt}"

    def srcset(self, fmt: str) -> str:
        """A srcset of the card's thumbnails (and, for PNG, the full-size card)."""
        sizes = [f"{self.thumb_url(w, fmt)} {w}w" for w in THUMB_WIDTHS if w < self.width]
        if fmt == "png":
            sizes.append(f"{self.url} {self.width}w")
        return ", ".join(sizes)

    def thumb_height(self, width: int) -> int:
        """The height of the card shown width pixels wide."""
        return round(self.height * width / self.width)


def card_ref(
    spec: CardSpec,
    preset: str,
    filename_stem: str,
    stored: dict[str, Any] | None = None,
    fact_card_id: int | None = None,
    registration_id: int | None = None,
) -> CardRef:
    """The reference to a card, with its key registered so /cards/<key>.png can serve it.

    In a request, registration happens once the response is ready (registry.flush_pending);
    outside one (mail rendering, CLI) it is added to the caller's transaction. fact_card_id
    names the myth/fact pair the card draws (its cards go when the pair is withdrawn).
    """
    key = key_for(spec, preset, registration_id)
    stored_spec = stored if stored is not None else spec_to_json(spec)
    row = {
        "key": key,
        "kind": spec.kind,
        "preset": preset,
        "spec": stored_spec,
        "fact_card_id": fact_card_id,
    }
    if has_request_context():
        register_later(row)
        url = url_for("graphics.card", key=key)
    else:
        register_keys([row])
        url = absolute_url("graphics.card", key=key)
    return CardRef(
        key=key,
        kind=spec.kind,
        preset=preset,
        url=url,
        absolute_url=absolute_url("graphics.card", key=key),
        alt=_alt(spec, preset),
        filename=f"{filename_stem}-{preset}.png",
    )


def card_refs(
    spec: CardSpec,
    filename_stem: str,
    stored: dict[str, Any] | None = None,
    presets: tuple[str, ...] = PRESET_ORDER,
    fact_card_id: int | None = None,
    registration_id: int | None = None,
) -> dict[str, CardRef]:
    """preset -> CardRef for one card in several presets."""
    return {
        p: card_ref(spec, p, filename_stem, stored, fact_card_id, registration_id) for p in presets
    }


def approved_fact_refs(
    campaign_id: int, limit: int | None = None
) -> list[tuple[FactCard, dict[str, CardRef]]]:
    """The public pairs in order with their cards, drawn as one set (one type size per
    preset across all of them, so the gallery reads evenly and every page of a pair shows
    the same card). A pair that no longer fits the cards (the campaign's disclaimer, name
    or hashtag changed since it was approved) is left off until it is edited."""
    cards = approved_facts(campaign_id)
    specs = set_specs(cards)
    out: list[tuple[FactCard, dict[str, CardRef]]] = []
    for card in cards:
        if card.id not in specs:
            log.warning("myth/fact %s no longer fits the cards; left off the pages", card.slug)
            continue
        out.append((card, card_refs(specs[card.id], card.slug, fact_card_id=card.id)))
        if limit is not None and len(out) >= limit:
            break
    return out


def fact_refs(card: FactCard) -> dict[str, CardRef]:
    """A public pair's cards as its set draws them (KeyError when it is not public or no
    longer fits the cards)."""
    return dict(approved_fact_refs(card.campaign_id))[card]


def fact_refs_if_fits(card: FactCard) -> dict[str, CardRef] | None:
    """A public pair's cards as its set draws them, or None when it is not public or no
    longer fits the cards."""
    return dict(approved_fact_refs(card.campaign_id)).get(card)


def unpublished_card_key(campaign: Campaign, texts: FactTexts, slug: str, preset: str) -> str:
    """The key of a myth/fact card drawn for organizers only (a draft, a pending edit):
    never registered, so no public URL serves it; used as its ETag."""
    return card_key(texts_spec(campaign, texts, slug), preset)


def unpublished_card_png(campaign: Campaign, texts: FactTexts, slug: str, preset: str) -> bytes:
    """Render a myth/fact card for organizers only (raises cardrender.TextDoesNotFit)."""
    return render_png(texts_spec(campaign, texts, slug), preset)


def event_refs(event: Event) -> dict[str, CardRef]:
    """The event's cards in every preset."""
    return card_refs(event_spec(event), event.slug)


def attending_refs(registration: Registration) -> dict[str, CardRef]:
    """The registrant's card; with their name it is stored by reference, never by value,
    under a personal key (see registry.personal_card_key) made with the current secret."""
    spec = attending_spec(registration)
    stem = f"attending-{registration.event.slug}"
    if not spec.first_name:
        return card_refs(spec, stem)
    return card_refs(
        spec, stem, {"registration_id": registration.id}, registration_id=registration.id
    )


def name_left_off(registration: Registration) -> bool:
    """True when the registrant opted in but the fonts cannot draw their name."""
    if not registration.is_name_on_card:
        return False
    return cardrender.plan_card(attending_spec(registration), "square").name_omitted


def countdown_refs(campaign: Campaign, now: datetime) -> dict[str, CardRef]:
    """Today's countdown cards ({} after the day)."""
    spec = countdown_spec(campaign, now)
    if spec is None:
        return {}
    return card_refs(spec, f"countdown-{spec.days}-days")


def event_card_url(event: Event, preset: str = "square") -> str:
    """The absolute URL of the event's current card (for mail)."""
    return card_ref(event_spec(event), preset, event.slug).absolute_url
