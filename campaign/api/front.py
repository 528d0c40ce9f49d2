"""Stored API answers sent before the Flask request cycle, as stored cards and pages are
(campaign.graphics.serving, campaign.core.pagecache).

A GET or HEAD of /api/v1/events or /api/v1/events/<slug> whose body for the current state
of the events is already in memory (campaign.api.views keeps it) is answered here: the
same body, ETag, 304, CORS, caching and security headers as the view sends, compressed
once per body version when the client accepts it. Everything else (a first request, a
bad parameter, an unknown event, any other method or path) goes on to the Flask view,
which builds and keeps the body under the same key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from flask import Flask
from werkzeug.datastructures import MultiDict
from werkzeug.http import parse_etags

from campaign.api import services, views
from campaign.core import compression
from campaign.core.cache import app_cache
from campaign.core.security import response_headers

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

LIST_PATH = "/api/v1/events"
EVENT_PATH = re.compile(r"/api/v1/events/(?P<slug>[^/]+)")
# Compressed copies kept: a listing page and an event each, per encoding.
MAX_COMPRESSED = 2 * views.MAX_BODIES


def request_slot(environ: WSGIEnvironment) -> tuple[Any, ...] | None:
    """The memo slot this request asks for, or None when the view must answer (another
    path, or parameters the view refuses). The query string is read as Werkzeug reads it
    for request.args, so both sides agree on the slot."""
    path = environ.get("PATH_INFO", "")
    if path == LIST_PATH:
        raw = environ.get("QUERY_STRING", "").encode("latin-1").decode()
        pairs = parse_qsl(raw, keep_blank_values=True, errors="werkzeug.url_quote")
        try:
            return views.list_slot(services.parse_list_query(MultiDict(pairs)))
        except services.BadParameter:
            return None
    match = EVENT_PATH.fullmatch(path)
    return None if match is None else views.event_slot(match["slug"])


class ApiFront:
    """WSGI middleware answering GET and HEAD of stored API bodies before Flask."""

    def __init__(self, app: Flask, wsgi_app: WSGIApplication) -> None:
        self.app = app
        self.next = wsgi_app
        self.headers = [
            ("Cache-Control", views.CACHE_CONTROL),
            *views.CORS_HEADERS.items(),
            *response_headers(app),
            ("Vary", "Accept-Encoding"),
        ]

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if method in ("GET", "HEAD") and environ.get("PATH_INFO", "").startswith(LIST_PATH):
            try:
                slot = request_slot(environ)
            except UnicodeError:  # raw bytes that are not UTF-8: the view says what is wrong
                slot = None
            if slot is not None:
                with self.app.app_context():
                    answer = self._answer(slot, environ, method == "HEAD")
                if answer is not None:
                    status, headers, data = answer
                    start_response(status, headers)
                    return [data]
        return self.next(environ, start_response)

    def _answer(
        self, slot: tuple[Any, ...], environ: WSGIEnvironment, head: bool
    ) -> tuple[str, list[tuple[str, str]], bytes] | None:
        """(status, headers, body) of a stored answer, or None when the view must answer."""
        stored = views.stored_body(slot)
        if stored is None:
            return None
        version, body = stored
        headers = [("ETag", f'"{version}"'), *self.headers]
        if parse_etags(environ.get("HTTP_IF_NONE_MATCH")).contains_weak(version):
            return "304 NOT MODIFIED", headers, b""
        data = body.encode()
        encoding = None
        if not head and len(data) >= compression.MIN_BYTES:
            encoding = compression.accepted_encoding(environ.get("HTTP_ACCEPT_ENCODING"))
        if encoding is not None:
            data = app_cache("api-compressed", MAX_COMPRESSED).get_or_compute(
                (slot, encoding), version, lambda: compression.compress(data, encoding)
            )
            headers.append(("Content-Encoding", encoding))
        headers += [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        return "200 OK", headers, b"" if head else data


def init_app(app: Flask) -> None:
    """Put the stored-answer layer in front of the app."""
    # Flask documents wrapping wsgi_app this way; mypy sees a method being replaced.
    app.wsgi_app = ApiFront(app, app.wsgi_app)  # type: ignore[method-assign]
