"""All current cards: registering every key the site points at, pre-rendering, pruning.

Used by `flask cards render-all`, `flask cards prune` and the reminders job. The caller
commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from campaign.core.database import write_transaction
from campaign.events.models import STATUS_CANCELLED, STATUS_PUBLISHED, Event
from campaign.extensions import db
from campaign.graphics.cardspecs import (
    attending_spec,
    countdown_spec,
    event_spec,
    fact_spec,
    spec_to_json,
)
from campaign.graphics.content import approved_facts
from campaign.graphics.models import CardRender
from campaign.graphics.registry import PRESET_ORDER, card_key, card_store, register_keys
from campaign.graphics.specs import AttendingCard, CardSpec
from campaign.graphics.theme import campaign_theme, logo_bytes
from campaign.signups.models import Registration

# Keys that stopped being current stay this long (link previews cache old image URLs).
PRUNE_AFTER_DAYS = 30


@dataclass(frozen=True)
class CurrentCard:
    key: str
    kind: str
    preset: str
    spec: CardSpec
    stored: dict[str, Any]


def current_cards(now: datetime) -> Iterator[CurrentCard]:
    """Every card the site currently points at (all presets), for render-all and prune."""
    from campaign.campaigns.services import current_campaign

    campaign = current_campaign()
    if campaign is None:
        return
    specs: list[tuple[CardSpec, dict[str, Any] | None]] = []
    for card in approved_facts(campaign.id):
        specs.append((fact_spec(card), None))
    countdown = countdown_spec(campaign, now)
    if countdown is not None:
        specs.append((countdown, None))
    events = db.session.scalars(
        select(Event).where(
            Event.campaign_id == campaign.id,
            Event.status.in_((STATUS_PUBLISHED, STATUS_CANCELLED)),
        )
    )
    for event in events:
        specs.append((event_spec(event), None))
        if event.status == STATUS_PUBLISHED and not event.is_past(now):
            specs.append((AttendingCard(**_attending_fields(event)), None))
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
        spec = attending_spec(registration)
        specs.append((spec, {"registration_id": registration.id} if spec.first_name else None))
    for spec, stored in specs:
        for preset in PRESET_ORDER:
            yield CurrentCard(
                card_key(spec, preset),
                spec.kind,
                preset,
                spec,
                stored if stored is not None else spec_to_json(spec),
            )


def _attending_fields(event: Event) -> dict[str, Any]:
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
    }


def register_current(now: datetime) -> list[CurrentCard]:
    """Register every current key and mark it referenced now; returns them (caller commits)."""
    cards = list({c.key: c for c in current_cards(now)}.values())
    write_transaction()
    register_keys(
        [{"key": c.key, "kind": c.kind, "preset": c.preset, "spec": c.stored} for c in cards]
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
    it stops being current. Returns counts. The caller commits.
    """
    current = {c.key for c in register_current(now)}
    store = card_store()
    cutoff = now - timedelta(days=keep_days)
    deleted_rows = deleted_files = 0
    for row in list(db.session.scalars(select(CardRender))):
        if row.key in current:
            continue
        personal = row.kind == "attending" and "registration_id" in row.spec
        if personal or row.referenced_at < cutoff:
            deleted_files += int(store.delete(row.key))
            db.session.delete(row)
            deleted_rows += 1
    known = set(db.session.scalars(select(CardRender.key)))
    for key in store.keys() - known - current:
        deleted_files += int(store.delete(key))
    leftovers = store.sweep_leftovers()
    db.session.flush()
    return {"rows": deleted_rows, "files": deleted_files, "leftovers": leftovers}
