"""Answering /cards/<key>.png: served_card for the view, and the stored-card WSGI layer.

served_card finds a key in the registry and renders its card once into instance/cards/
(a personal card is rebuilt from its registration on every request).

The WSGI layer answers stored public cards straight from disk, without the request cycle.

Card URLs are content-addressed and immutable, and every link preview of every share lands
on one. Once a public card (myth/fact, event, countdown) is rendered, answering needs only a
primary-key lookup (is the key still known?) and a file read, so this WSGI layer answers
those requests itself, before Flask builds a request context, opens the session and runs
its hooks. Everything else goes on to the Flask view, which handles it fully: an unknown
key, a card not rendered yet, a personal "I'm attending" card (rebuilt from its
registration on every request, so that a withdrawn name stops being served) and any
database error (the view answers with the error page). A card of a withdrawn myth/fact
pair is answered here too, with 410 Gone, and a file left for it is deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.http import parse_etags

from campaign import cardrender
from campaign.cardrender import CardSpec
from campaign.core.security import response_headers
from campaign.core.tokens import secret_keys
from campaign.extensions import db
from campaign.graphics.models import CardRender, FactCard
from campaign.graphics.services.cardspecs import attending_spec, render_png, spec_from_json
from campaign.graphics.services.registry import card_store, personal_card, personal_card_key
from campaign.graphics.storage import KEY_RE, CardStore
from campaign.signups.models import Registration

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

log = logging.getLogger(__name__)

IMMUTABLE = "public, max-age=31536000, immutable"
# A withdrawn card may come back only if an admin publishes its pair again: cache briefly.
GONE_CACHE_CONTROL = "public, max-age=300"
GONE_BODY = (
    b"This card was withdrawn by the campaign and is no longer available. "
    b"Educational content, not medical advice; talk to a healthcare provider.\n"
)
PREFIX = "/cards/"
SUFFIX = ".png"
_LOOKUP = (
    select(CardRender.kind, CardRender.spec, FactCard.withdrawn_at)
    .select_from(CardRender)
    .outerjoin(FactCard, FactCard.id == CardRender.fact_card_id)
    .where(CardRender.key == bindparam("key"))
)
_PUBLIC, _GONE, _OTHER = "public", "gone", "other"


# --- A key's card, for the view ---------------------------------------------------------------


@dataclass(frozen=True)
class ServedCard:
    """A card's PNG as the view answers it."""

    data: bytes
    kind: str
    preset: str
    is_personal: bool = False


class CardWithdrawn(LookupError):
    """The key draws a myth/fact pair that was withdrawn: the card is gone for good (410)."""


def withdrawn_card(row: CardRender) -> bool:
    """Whether a registry row draws a pair that has been withdrawn."""
    if row.fact_card_id is None:
        return False
    pair = db.session.get(FactCard, row.fact_card_id)
    return pair is not None and pair.is_withdrawn


def _spec_for_row(row: CardRender) -> CardSpec | None:
    """The spec a registry row draws, or None when it is no longer valid."""
    if row.kind == "attending" and "registration_id" in row.spec:
        registration = db.session.get(Registration, row.spec["registration_id"])
        if registration is None or registration.is_anonymised or not registration.is_name_on_card:
            return None
        spec = attending_spec(registration)
        # The page points at the current key; one made with a fallback key still serves.
        keys = {personal_card_key(spec, row.preset, registration.id, s) for s in secret_keys()}
        return spec if spec.first_name and row.key in keys else None
    try:
        return spec_from_json(row.kind, row.spec)
    except (KeyError, TypeError, ValueError):
        log.warning("card %s has an unreadable stored spec", row.key)
        return None


def served_card(key: str, store: CardStore | None = None) -> ServedCard | None:
    """The PNG for key (rendered once, then from instance/cards/), or None if unknown.

    Raises CardWithdrawn (and deletes any file left) for a card of a withdrawn pair.
    """
    if not KEY_RE.match(key):
        return None
    store = store or card_store()
    row = db.session.get(CardRender, key)
    if row is None:
        return None
    if withdrawn_card(row):
        db.session.rollback()
        store.delete(key)
        raise CardWithdrawn(key)
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
        # deleted meanwhile (prune, a withdrawal); render from the stored spec if still valid
        row = db.session.get(CardRender, key)
        if row is not None and withdrawn_card(row):
            db.session.rollback()
            raise CardWithdrawn(key)
        spec = _spec_for_row(row) if row is not None else None
        db.session.rollback()
        if spec is None:
            return None
    final_spec = spec
    try:
        data = store.get_or_render(key, lambda: render_png(final_spec, preset))
    except cardrender.TextDoesNotFit:
        log.warning("card %s no longer fits its preset; not served", key)
        return None
    return ServedCard(data, kind, preset, is_personal)


# --- Stored public cards, before the request cycle --------------------------------------------


class StoredCards:
    """WSGI middleware answering GET and HEAD for stored public cards."""

    def __init__(self, app: Flask, wsgi_app: WSGIApplication) -> None:
        self.app = app
        self.next = wsgi_app
        self.store = CardStore(Path(app.instance_path) / "cards")
        self.headers = [
            *response_headers(app),
            ("Cache-Control", IMMUTABLE),
            ("Cross-Origin-Resource-Policy", "cross-origin"),
        ]
        self.gone_headers = [
            *response_headers(app),
            ("Cache-Control", GONE_CACHE_CONTROL),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(GONE_BODY))),
        ]
        self._engine: Engine | None = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        path: str = environ.get("PATH_INFO", "")
        if method in ("GET", "HEAD") and path.startswith(PREFIX) and path.endswith(SUFFIX):
            key = path[len(PREFIX) : -len(SUFFIX)]
            kind = self._card_kind(key) if KEY_RE.match(key) else _OTHER
            if kind == _GONE:
                if self.store.path(key).exists():
                    self.store.delete(key)  # a render that raced the withdrawal
                start_response("410 Gone", list(self.gone_headers))
                return [] if method == "HEAD" else [GONE_BODY]
            if kind == _PUBLIC:
                headers = [*self.headers, ("ETag", f'"{key}"')]
                if client_has(environ.get("HTTP_IF_NONE_MATCH"), key):
                    start_response("304 Not Modified", headers)
                    return []
                data = self.store.read(key)
                if data is not None:
                    headers += [("Content-Type", "image/png"), ("Content-Length", str(len(data)))]
                    start_response("200 OK", headers)
                    return [] if method == "HEAD" else [data]
        return self.next(environ, start_response)

    def _engine_for_app(self) -> Engine:
        """The app's database engine (looked up once, in an app context)."""
        if self._engine is None:
            with self.app.app_context():
                self._engine = db.engine
        return self._engine

    def _card_kind(self, key: str) -> str:
        """_GONE for a card of a withdrawn pair, _PUBLIC for a known card that shows nobody's
        name, _OTHER for the rest and on database errors (the view answers those)."""
        try:
            with self._engine_for_app().connect() as connection:
                row: Any = connection.execute(_LOOKUP, {"key": key}).first()
        except SQLAlchemyError:
            return _OTHER
        if row is None or personal_card(row.kind, row.spec):
            return _OTHER
        return _GONE if row.withdrawn_at is not None else _PUBLIC


def client_has(if_none_match: str | None, key: str) -> bool:
    """If-None-Match names this card (any tag form, or *): the client has it already."""
    if not if_none_match:
        return False
    etags = parse_etags(if_none_match)
    return etags.star_tag or etags.contains_weak(key)


def init_app(app: Flask) -> None:
    """Put the stored-card layer in front of the app."""
    # Flask documents wrapping wsgi_app this way; mypy sees a method being replaced.
    app.wsgi_app = StoredCards(app, app.wsgi_app)  # type: ignore[method-assign]
