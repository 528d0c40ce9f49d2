"""All current cards: registering every key the site points at, pre-rendering, pruning.

Used by `flask cards render-all`, `flask cards prune` and the reminders job. The caller
commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import select, update

from campaign.cardrender import AttendingCard, CardSpec
from campaign.core.database import write_transaction
from campaign.events.models import STATUS_CANCELLED, STATUS_PUBLISHED, Event
from campaign.extensions import db
from campaign.graphics.models import CardRender, FactCard
from campaign.graphics.services.cardspecs import (
    PRESET_ORDER,
    attending_spec,
    countdown_spec,
    event_spec,
    page_address,
    render_png,
    set_specs,
    spec_to_json,
)
from campaign.graphics.services.content import approved_facts
from campaign.graphics.services.photo import photo_bytes
from campaign.graphics.services.registry import (
    card_key,
    card_store,
    delete_derived,
    key_for,
    register_keys,
)
from campaign.graphics.services.theme import campaign_theme, logo_bytes
from campaign.graphics.services.thumbs import (
    THUMB_TYPES,
    THUMB_WIDTHS,
    make_thumb,
    thumb_store,
)
from campaign.signups.models import Registration

# Keys that stopped being current stay this long (link previews cache old image URLs).
PRUNE_AFTER_DAYS = 30


@dataclass(frozen=True)
class CurrentCard:
    """One card the site points at now: its key and what draws it."""

    key: str
    kind: str
    preset: str
    spec: CardSpec
    stored: dict[str, Any]
    fact_card_id: int | None = None


def current_cards(now: datetime) -> Iterator[CurrentCard]:
    """Every card the site currently points at (all presets), for render-all and prune."""
    from campaign.campaigns.services import current_campaign

    campaign = current_campaign()
    if campaign is None:
        return
    specs: list[tuple[CardSpec, dict[str, Any] | None, int | None]] = []
    facts = approved_facts(campaign.id)
    fact_specs = set_specs(facts)  # one type size per preset across the set, as pages show
    for card in facts:
        if card.id in fact_specs:
            specs.append((fact_specs[card.id], None, card.id))
    countdown = countdown_spec(campaign, now)
    if countdown is not None:
        specs.append((countdown, None, None))
    events = db.session.scalars(
        select(Event).where(
            Event.campaign_id == campaign.id,
            Event.status.in_((STATUS_PUBLISHED, STATUS_CANCELLED)),
        )
    )
    for event in events:
        specs.append((event_spec(event), None, None))
        if event.status == STATUS_PUBLISHED and not event.is_past(now):
            specs.append((AttendingCard(**_attending_fields(event)), None, None))
    named = db.session.scalars(
        select(Registration)
        .join(Event, Registration.event_id == Event.id)
        .where(
            Event.campaign_id == campaign.id,
            Registration.is_name_on_card.is_(True),
            Registration.anonymised_at.is_(None),
        )
    )
    for registration in named:
        attending = attending_spec(registration)
        stored = {"registration_id": registration.id} if attending.first_name else None
        specs.append((attending, stored, None))
    for spec, stored, fact_card_id in specs:
        registration_id = stored.get("registration_id") if stored else None
        for preset in PRESET_ORDER:
            yield CurrentCard(
                key_for(spec, preset, registration_id),
                spec.kind,
                preset,
                spec,
                stored if stored is not None else spec_to_json(spec),
                fact_card_id,
            )


def _attending_fields(event: Event) -> dict[str, Any]:
    """The event's "I'm attending" card without a name."""
    campaign = event.campaign
    return {
        "first_name": None,
        "event_title": event.title,
        "when_text": event.starts_text,
        "place_text": event.place_text,
        "campaign_name": campaign.name,
        "hashtag": campaign.hashtag,
        "theme": campaign_theme(campaign),
        "logo": logo_bytes(campaign),
        "photo": photo_bytes(campaign),
        "address": page_address("events.detail", slug=event.slug),
    }


def register_current(now: datetime) -> list[CurrentCard]:
    """Register every current key and mark it referenced now; returns them (caller commits)."""
    cards = list({c.key: c for c in current_cards(now)}.values())
    write_transaction()
    register_keys(
        [
            {
                "key": c.key,
                "kind": c.kind,
                "preset": c.preset,
                "spec": c.stored,
                "fact_card_id": c.fact_card_id,
            }
            for c in cards
        ]
    )
    keys = [c.key for c in cards]
    for start in range(0, len(keys), 500):
        db.session.execute(
            update(CardRender)
            .where(CardRender.key.in_(keys[start : start + 500]))
            .values(referenced_at=now)
            .execution_options(synchronize_session=False)
        )
    return cards


def prune(now: datetime, keep_days: int = PRUNE_AFTER_DAYS) -> dict[str, int]:
    """Delete rendered files (and registry rows) no page has pointed at for keep_days.

    Current keys are never deleted; a card with a registrant's name is deleted as soon as
    it stops being current. A card of a withdrawn myth/fact pair keeps its row (so that its
    URL keeps answering 410 Gone) and loses any file. Returns counts. The caller commits.
    """
    current = {c.key for c in register_current(now)}
    store = card_store()
    cutoff = now - timedelta(days=keep_days)
    withdrawn = set(
        db.session.scalars(select(FactCard.id).where(FactCard.withdrawn_at.is_not(None)))
    )
    deleted_rows = deleted_files = 0
    for row in list(db.session.scalars(select(CardRender))):
        if row.key in current:
            continue
        if row.fact_card_id in withdrawn:
            deleted_files += int(store.delete(row.key)) + delete_derived(row.key)
            continue
        personal = row.kind == "attending" and "registration_id" in row.spec
        if personal or row.referenced_at < cutoff:
            deleted_files += int(store.delete(row.key)) + delete_derived(row.key)
            db.session.delete(row)
            deleted_rows += 1
    known = set(db.session.scalars(select(CardRender.key)))
    for key in store.keys() - known - current:
        deleted_files += int(store.delete(key)) + delete_derived(key)
    leftovers = store.sweep_leftovers()
    db.session.flush()
    return {"rows": deleted_rows, "files": deleted_files, "leftovers": leftovers}


def prerender_facts(campaign_id: int) -> int:
    """Render the public pairs' cards in every preset, and the thumbnails pages show, that
    are not on disk yet (after an approval, so no visitor waits for them); returns how many
    files were written."""
    store = card_store()
    cards = approved_facts(campaign_id)
    written = 0
    for spec in set_specs(cards).values():
        for preset in PRESET_ORDER:
            key = card_key(spec, preset)
            if store.read(key) is None:
                store.get_or_render(key, partial(render_png, spec, preset))
                written += 1
            if preset != "square":
                continue
            png = store.read(key)
            for width in THUMB_WIDTHS:
                for fmt in THUMB_TYPES:
                    thumbs = thumb_store(width, fmt)
                    if png is not None and thumbs.read(key) is None:
                        thumbs.get_or_render(key, partial(make_thumb, png, width, fmt))
                        written += 1
    db.session.rollback()  # only reads: end them
    return written
