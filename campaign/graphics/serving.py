"""Stored public cards straight from disk: /cards/<key>.png without the request cycle.

Card URLs are content-addressed and immutable, and every link preview of every share lands
on one. Once a public card (myth/fact, event, countdown) is rendered, answering needs only a
primary-key lookup (is the key still known?) and a file read, so this WSGI layer answers
those requests itself, before Flask builds a request context, opens the session and runs
its hooks. Everything else goes on to the Flask view, which handles it fully: an unknown
key, a card not rendered yet, a personal "I'm attending" card (rebuilt from its
registration on every request, so that a withdrawn name stops being served) and any
database error (the view answers with the error page).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.http import parse_etags

from campaign.core.security import response_headers
from campaign.extensions import db
from campaign.graphics.cache import KEY_RE, CardStore
from campaign.graphics.models import CardRender
from campaign.graphics.services import personal_card

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

IMMUTABLE = "public, max-age=31536000, immutable"
PREFIX = "/cards/"
SUFFIX = ".png"
_LOOKUP = select(CardRender.kind, CardRender.spec).where(CardRender.key == bindparam("key"))


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
        self._engine: Engine | None = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        path: str = environ.get("PATH_INFO", "")
        if method in ("GET", "HEAD") and path.startswith(PREFIX) and path.endswith(SUFFIX):
            key = path[len(PREFIX) : -len(SUFFIX)]
            if KEY_RE.match(key) and self._is_public_card(key):
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
        if self._engine is None:
            with self.app.app_context():
                self._engine = db.engine
        return self._engine

    def _is_public_card(self, key: str) -> bool:
        """Whether key is a known card that shows nobody's name (False on database errors:
        the view answers those)."""
        try:
            with self._engine_for_app().connect() as connection:
                row: Any = connection.execute(_LOOKUP, {"key": key}).first()
        except SQLAlchemyError:
            return False
        return row is not None and not personal_card(row.kind, row.spec)


def client_has(if_none_match: str | None, key: str) -> bool:
    """If-None-Match names this card (any tag form, or *): the client has it already."""
    if not if_none_match:
        return False
    etags = parse_etags(if_none_match)
    return etags.star_tag or etags.contains_weak(key)


def init_app(app: Flask) -> None:
    """Put the stored-card layer in front of the app."""
    app.wsgi_app = StoredCards(app, app.wsgi_app)  # type: ignore[method-assign]
