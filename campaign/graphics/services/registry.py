"""The card registry: card keys, the card_renders rows that let /cards/<key>.png serve them,
and deleting the cards that must go (a withdrawn pair's, a withdrawn name's).

A page points at /cards/<key>.png; the key is registered (with the spec that draws it) in
the card_renders table, and serving.served_card renders it once into instance/cards/.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app, g
from sqlalchemy import Insert, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction

from campaign import cardrender
from campaign.cardrender import CardSpec
from campaign.core.database import write_transaction
from campaign.core.timeutil import utcnow
from campaign.core.tokens import secret_keys
from campaign.extensions import db
from campaign.graphics.models import CardRender, FactCard
from campaign.graphics.services.alt_memo import delete_alt
from campaign.graphics.services.cardspecs import (
    PRESET_ORDER,
    attending_spec,
    fact_spec,
    set_specs,
)
from campaign.graphics.services.thumbs import delete_thumbs
from campaign.graphics.storage import CardStore
from campaign.signups.models import Registration

log = logging.getLogger(__name__)


def card_store() -> CardStore:
    """The rendered-card directory of this app: instance/cards/."""
    return CardStore(Path(current_app.instance_path) / "cards")


# --- Card keys --------------------------------------------------------------------------------


@lru_cache(maxsize=2048)
def card_key(spec: CardSpec, preset: str) -> str:
    """The content-addressed key of a card (cached: pages ask for the same cards)."""
    return cardrender.cache_key(spec, preset)


def personal_card_key(spec: CardSpec, preset: str, registration_id: int, secret_key: str) -> str:
    """The key of a card that shows a registrant's name: an HMAC with the server's secret
    over the registration and the picture, so nobody can derive it from the event's
    public details and a guessed name, and two people of the same name get two cards."""
    message = f"personal-card:{registration_id}:{card_key(spec, preset)}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()[:32]


def is_named(spec: CardSpec) -> bool:
    """Whether the card shows a registrant's name (an "I'm attending" card after opt-in)."""
    return spec.kind == "attending" and bool(getattr(spec, "first_name", None))


def key_for(spec: CardSpec, preset: str, registration_id: int | None = None) -> str:
    """The current key of a card: personal (with the current secret) when it shows a name."""
    if registration_id is not None and is_named(spec):
        return personal_card_key(spec, preset, registration_id, secret_keys()[0])
    return card_key(spec, preset)


def personal_card(kind: str, spec: dict[str, Any]) -> bool:
    """Whether a stored card shows a registrant's name (rebuilt from the registration on
    every request, so that it stops existing when the name is withdrawn)."""
    return kind == "attending" and "registration_id" in spec


# --- Registering keys -------------------------------------------------------------------------

# Rows of the keys this request's page pointed at, registered once the response is ready.
_PENDING = "_graphics_pending_cards"

# Keys this session has registered in its current transaction: mail rendering asks for the
# same event's card for every message of a batch. Forgotten when the transaction ends (a
# rollback takes the rows back; after a commit the insert would be a no-op anyway).
_REGISTERED_KEYS = "campaign_card_keys_registered"


def register_later(row: dict[str, Any]) -> None:
    """Register a key the page being built points at, once the response is ready."""
    g.setdefault(_PENDING, {})[row["key"]] = row


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_registered_keys(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ends takes its registered keys with it."""
    if transaction.parent is None:
        session.info.pop(_REGISTERED_KEYS, None)


@lru_cache(maxsize=4)
def _registry_insert(dialect: str) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING into the card registry, built once per dialect."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(CardRender).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(CardRender).on_conflict_do_nothing()


def register_keys(rows: list[dict[str, Any]]) -> None:
    """Add registry rows that do not exist yet, in the session's transaction."""
    registered: set[str] = db.session.info.setdefault(_REGISTERED_KEYS, set())
    rows = [row for row in rows if row["key"] not in registered]
    if not rows:
        return
    now = utcnow()
    values = [
        {"fact_card_id": None, **row, "created_at": now, "referenced_at": now} for row in rows
    ]
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


# --- Cards that must go -----------------------------------------------------------------------


def withdraw_fact_cards(card: FactCard) -> int:
    """Delete the files of every card of a withdrawn pair; returns how many were deleted.

    Their keys stay in the registry, tied to the pair, so /cards/<key>.png answers 410 Gone
    (in the view and in the stored-card layer). Keys registered before cards named their
    pair are claimed by the pair's current keys. The caller commits.
    """
    from campaign.graphics.services.content import approved_facts

    # Its keys as its set drew them while it was public, and as it would be drawn alone.
    others = [c for c in approved_facts(card.campaign_id) if c.id != card.id]
    specs = [fact_spec(card), *set_specs([*others, card]).values()]
    current = [
        card_key(spec, preset)
        for spec in specs
        if spec.address.endswith(f"/{card.slug}")
        for preset in PRESET_ORDER
    ]
    db.session.execute(
        update(CardRender)
        .where(CardRender.key.in_(current), CardRender.fact_card_id.is_(None))
        .values(fact_card_id=card.id)
        .execution_options(synchronize_session=False)
    )
    keys = set(db.session.scalars(select(CardRender.key).where(CardRender.fact_card_id == card.id)))
    store = card_store()
    deleted = 0
    for key in sorted(keys | set(current)):
        deleted += int(store.delete(key))
        delete_derived(key)
    return deleted


def delete_derived(key: str) -> int:
    """Delete what was made from a card besides its file (thumbnails, kept alt text);
    returns how many files there were."""
    return delete_thumbs(key) + delete_alt(key)


class NameNotDrawable(ValueError):
    """The first name has characters the cards cannot draw (the message names them)."""


def set_name_on_card(registration: Registration, show: bool) -> None:
    """Opt in or out of the first name on the "I'm attending" card.

    Opting in is refused (NameNotDrawable) when the fonts cannot draw the name: the card
    never shows a name with letters missing. Opting out deletes the named pictures at
    once; their URLs stop working.
    """
    missing = cardrender.undrawable_characters(registration.first_name) if show else ()
    if missing:
        named = ", ".join(cardrender.describe_character(ch) for ch in missing[:3])
        raise NameNotDrawable(
            f"Our share cards cannot draw {named} in your first name, so it cannot go on "
            "your card, which keeps saying “I’m attending”."
        )
    if not show and registration.is_name_on_card:
        spec = attending_spec(registration)
        store = card_store()
        for preset in PRESET_ORDER:
            for secret in secret_keys():  # keys made before a key rotation too
                key = personal_card_key(spec, preset, registration.id, secret)
                store.delete(key)
                row = db.session.get(CardRender, key)
                if row is not None and "registration_id" in row.spec:
                    db.session.delete(row)
    registration.is_name_on_card = show
    db.session.flush()
