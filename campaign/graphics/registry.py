"""The card registry: card keys and references, registering keys, serving a key's PNG.

A page points at /cards/<key>.png; the key is registered (with the spec that draws it) in
the card_renders table, and served_card renders it once into instance/cards/.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app, g, has_request_context, url_for
from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session, SessionTransaction

from campaign.campaigns.models import Campaign
from campaign.core.database import write_transaction
from campaign.core.timeutil import utcnow
from campaign.core.urls import absolute_url
from campaign.events.models import Event
from campaign.extensions import db
from campaign.graphics import render
from campaign.graphics.alt_text import alt_text
from campaign.graphics.cache import KEY_RE, CardStore
from campaign.graphics.cardspecs import (
    attending_spec,
    countdown_spec,
    event_spec,
    fact_spec,
    spec_from_json,
    spec_to_json,
)
from campaign.graphics.models import CardRender, FactCard
from campaign.graphics.specs import PRESETS, CardSpec
from campaign.signups.models import Registration

log = logging.getLogger(__name__)

# Presets in the order pages list them, with what each is for.
PRESET_ORDER = ("og", "square", "portrait", "story")
PRESET_LABELS = {
    "og": "Link preview",
    "square": "Square",
    "portrait": "Portrait",
    "story": "Story",
}
PRESET_USES = {
    "og": "Links on X, Facebook, LinkedIn",
    "square": "Instagram and Facebook posts",
    "portrait": "Instagram feed",
    "story": "Instagram and WhatsApp stories",
}
OG_PRESET = "og"


def card_store() -> CardStore:
    """The rendered-card directory of this app: instance/cards/."""
    return CardStore(Path(current_app.instance_path) / "cards")


# --- Card references: keys, URLs, alt text ---------------------------------------------------


@lru_cache(maxsize=2048)
def card_key(spec: CardSpec, preset: str) -> str:
    """The content-addressed key of a card (cached: pages ask for the same cards)."""
    return render.cache_key(spec, preset)


@lru_cache(maxsize=2048)
def _alt(spec: CardSpec, preset: str) -> str:
    return alt_text(spec, preset)


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
        return PRESETS[self.preset].width

    @property
    def height(self) -> int:
        return PRESETS[self.preset].height

    @property
    def label(self) -> str:
        return PRESET_LABELS[self.preset]

    @property
    def use(self) -> str:
        return PRESET_USES[self.preset]


_PENDING = "_graphics_pending_cards"


def card_ref(
    spec: CardSpec,
    preset: str,
    filename_stem: str,
    stored: dict[str, Any] | None = None,
) -> CardRef:
    """The reference to a card, with its key registered so /cards/<key>.png can serve it.

    In a request, registration happens once the response is ready (flush_pending); outside
    one (mail rendering, CLI) it is added to the caller's transaction.
    """
    key = card_key(spec, preset)
    stored_spec = stored if stored is not None else spec_to_json(spec)
    row = {"key": key, "kind": spec.kind, "preset": preset, "spec": stored_spec}
    if has_request_context():
        g.setdefault(_PENDING, {})[key] = row
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
) -> dict[str, CardRef]:
    """preset -> CardRef for one card in several presets."""
    return {p: card_ref(spec, p, filename_stem, stored) for p in presets}


def fact_refs(card: FactCard) -> dict[str, CardRef]:
    return card_refs(fact_spec(card), card.slug)


def fact_refs_if_fits(card: FactCard) -> dict[str, CardRef] | None:
    """The pair's cards, or None when it no longer fits (the campaign's disclaimer, name or
    hashtag changed since it was approved): such a pair is left off until it is edited."""
    try:
        return fact_refs(card)
    except render.TextDoesNotFit:
        log.warning("myth/fact %s no longer fits the cards; left off the pages", card.slug)
        return None


def event_refs(event: Event) -> dict[str, CardRef]:
    return card_refs(event_spec(event), event.slug)


def attending_refs(registration: Registration) -> dict[str, CardRef]:
    """The registrant's card; with their name it is stored by reference, never by value."""
    spec = attending_spec(registration)
    stored = {"registration_id": registration.id} if spec.first_name else None
    return card_refs(spec, f"attending-{registration.event.slug}", stored)


def name_left_off(registration: Registration) -> bool:
    """True when the registrant opted in but the fonts cannot draw their name."""
    if not registration.is_name_on_card:
        return False
    return render.plan_card(attending_spec(registration), "square").name_omitted


def set_name_on_card(registration: Registration, show: bool) -> None:
    """Opt in or out of the first name on the "I'm attending" card.

    Opting out deletes the named pictures at once; their URLs stop working.
    """
    if not show and registration.is_name_on_card:
        spec = attending_spec(registration)
        store = card_store()
        for preset in PRESET_ORDER:
            key = card_key(spec, preset)
            store.delete(key)
            row = db.session.get(CardRender, key)
            if row is not None and "registration_id" in row.spec:
                db.session.delete(row)
    registration.is_name_on_card = show
    db.session.flush()


def countdown_refs(campaign: Campaign, now: datetime) -> dict[str, CardRef]:
    spec = countdown_spec(campaign, now)
    if spec is None:
        return {}
    return card_refs(spec, f"countdown-{spec.days}-days")


def event_card_url(event: Event, preset: str = "square") -> str:
    """The absolute URL of the event's current card (for mail)."""
    return card_ref(event_spec(event), preset, event.slug).absolute_url


# Keys this session has registered in its current transaction: mail rendering asks for the
# same event's card for every message of a batch. Forgotten when the transaction ends (a
# rollback takes the rows back; after a commit the insert would be a no-op anyway).
_REGISTERED_KEYS = "campaign_card_keys_registered"


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_registered_keys(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_REGISTERED_KEYS, None)


@lru_cache(maxsize=4)
def _registry_insert(dialect: str) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING into the card registry, built once per dialect."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(CardRender).on_conflict_do_nothing()


def register_keys(rows: list[dict[str, Any]]) -> None:
    """Add registry rows that do not exist yet, in the session's transaction."""
    registered: set[str] = db.session.info.setdefault(_REGISTERED_KEYS, set())
    rows = [row for row in rows if row["key"] not in registered]
    if not rows:
        return
    now = utcnow()
    values = [{**row, "created_at": now, "referenced_at": now} for row in rows]
    dialect = db.session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        db.session.connection().execute(_registry_insert(dialect), values)
    else:  # pragma: no cover - other databases are not supported by the app
        known = set(
            db.session.scalars(
                select(CardRender.key).where(CardRender.key.in_([r["key"] for r in rows]))
            )
        )
        for value in values:
            if value["key"] not in known:
                db.session.add(CardRender(**value))
        db.session.flush()
    registered.update(row["key"] for row in rows)


def flush_pending() -> None:
    """Register the card keys a page pointed at (after the view, in a short transaction)."""
    pending: dict[str, dict[str, Any]] = g.pop(_PENDING, None) or {}
    if not pending:
        return
    session = db.session()
    if session.new or session.dirty or session.deleted:
        log.warning("card keys not registered: the request left uncommitted changes")
        return
    try:
        known = set(
            db.session.scalars(select(CardRender.key).where(CardRender.key.in_(list(pending))))
        )
        missing = [row for key, row in pending.items() if key not in known]
        if not missing:
            return
        session.commit()  # end the read; the writer lock comes next
        write_transaction()
        register_keys(missing)
        session.commit()
    except Exception:
        session.rollback()
        log.exception("could not register card keys")


# --- Serving ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServedCard:
    data: bytes
    kind: str
    preset: str


def _spec_for_row(row: CardRender) -> CardSpec | None:
    """The spec a registry row draws, or None when it is no longer valid."""
    if row.kind == "attending" and "registration_id" in row.spec:
        registration = db.session.get(Registration, row.spec["registration_id"])
        if registration is None or registration.is_anonymised or not registration.is_name_on_card:
            return None
        spec = attending_spec(registration)
        return spec if card_key(spec, row.preset) == row.key else None
    try:
        return spec_from_json(row.kind, row.spec)
    except (KeyError, TypeError, ValueError):
        log.warning("card %s has an unreadable stored spec", row.key)
        return None


def render_png(spec: CardSpec, preset: str) -> bytes:
    """Render and encode one card."""
    return render.encode_png(render.render(spec, preset))


def personal_card(kind: str, spec: dict[str, Any]) -> bool:
    """Whether a stored card shows a registrant's name (rebuilt from the registration on
    every request, so that it stops existing when the name is withdrawn)."""
    return kind == "attending" and "registration_id" in spec


def served_card(key: str, store: CardStore | None = None) -> ServedCard | None:
    """The PNG for key (rendered once, then from instance/cards/), or None if unknown."""
    if not KEY_RE.match(key):
        return None
    store = store or card_store()
    row = db.session.get(CardRender, key)
    if row is None:
        return None
    kind, preset = row.kind, row.preset
    is_personal = personal_card(kind, row.spec)
    spec: CardSpec | None = None
    if is_personal or store.read(key) is None:
        spec = _spec_for_row(row)
        if spec is None:
            db.session.rollback()
            if is_personal:
                store.delete(key)  # the name was withdrawn: the picture goes too
            return None
    db.session.rollback()  # end the read before a possibly slow render
    if spec is None:
        data = store.read(key)
        if data is not None:
            return ServedCard(data, kind, preset)
        # deleted meanwhile (prune); fall through to render from the stored spec
        row = db.session.get(CardRender, key)
        spec = _spec_for_row(row) if row is not None else None
        db.session.rollback()
        if spec is None:
            return None
    final_spec = spec
    try:
        data = store.get_or_render(key, lambda: render_png(final_spec, preset))
    except render.TextDoesNotFit:
        log.warning("card %s no longer fits its preset; not served", key)
        return None
    return ServedCard(data, kind, preset)
