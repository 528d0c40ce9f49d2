"""Rendered public pages kept in memory per process, keyed by everything they show.

The event page and the listing are the pages every share link lands on. Rendering them
(macros, form widgets, card references, Markdown) costs several times more than the
queries they need, so each is rendered once per state of what it shows and then served
from memory. A page has a slot (which page: the event and the share code, the listing's
filters and page number) and a state (every column of the rows it shows, the counts and
time-dependent flags it prints). A hit needs the stored state to be equal to the current
one, so there is nothing to invalidate and a stale page cannot be served; a new state
replaces the slot's copy, so memory is bounded by the number of pages, not by how often
they change.

Per-visitor values (the registration form's one-time token) are holes: they are cut out
of the stored copy and filled in on every hit, so no two visitors get the same value. The
event page's seat figures ("12 going") are holes too, filled from the state the hit reads
(campaign.events.seat_texts): a registration changes the figures, not the page. Pages
with flashed messages or a submitted form are never stored. A copy is kept ready to send:
UTF-8, deflated once around its holes for gzip (campaign.core.compression.Spliced), and
brotli'd whole when it has no holes.

Every slot is per language: the visitor's locale (campaign.i18n.negotiation, chosen the
same way before Flask as the views choose it) is part of the slot key, and pages say
`Vary: Accept-Language, Cookie`.

CachedPages answers hits before the Flask request cycle, as stored cards are answered
(campaign.graphics.serving): for a request without a session cookie to a registered
route, one autocommit query (a single database round trip) reads the page's state, and a
hit is sent straight from memory with fresh holes. A route may let that state be
remembered (Reads.remembered) while the database has not changed since it was read
(campaign.core.changes: a look at SQLite's version number, or one small PostgreSQL round
trip instead of the state query), so a hit then opens no pooled connection at all.
Everything else (a miss, a visitor with a session, whose page may carry a flashed message,
a database error, a 404) goes on to the Flask view, which renders and stores the page
under the same key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl

from flask import Flask, Response, request, session
from markupsafe import Markup
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import MultiDict

from campaign.core import compression
from campaign.core.cache import VersionedCache, app_cache
from campaign.core.changes import ChangeMarks
from campaign.core.pagestate import state_digest as _digest
from campaign.core.security import response_headers
from campaign.core.timeutil import utcnow
from campaign.i18n import negotiation
from campaign.i18n.web import current_locale, default_locale, supported_locales

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

MAX_PAGES = 512


def _placeholder(name: str) -> str:
    return f"\x00hole:{name}\x00"


def hole(name: str) -> Markup:
    """A hole a page renders in place of a per-visitor or changing value (the event
    page's seat figures): cut out of the stored copy and filled in from the request's
    holes on every answer, the first one included."""
    return Markup(_placeholder(name))  # noqa: S704  # nosec B704  # our own marker, no input


_HOLE = re.compile("\x00hole:([a-z_]+)\x00")


@dataclass(frozen=True)
class CachedPage:
    """A stored page, cut at its holes, ready to send plain, gzipped or (no holes) brotli'd."""

    holes: tuple[str, ...]  # the hole names, in the order they appear
    spliced: compression.Spliced
    brotli: bytes | None = None
    gzipped: bytes | None = None

    @classmethod
    def build(cls, page_with_placeholders: str) -> CachedPage:
        pieces = _HOLE.split(page_with_placeholders)
        parts = [piece.encode() for piece in pieces[::2]]
        holes = tuple(pieces[1::2])
        spliced = compression.Spliced(parts)
        if holes:
            return cls(holes, spliced)
        whole = parts[0]
        return cls(
            holes,
            spliced,
            compression.compress(whole, compression.BROTLI, compression.BROTLI_PAGE_QUALITY),
            compression.compress(whole, compression.GZIP),
        )

    def body(
        self, values: Mapping[str, Callable[[], str]], accept_encoding: str | None
    ) -> tuple[bytes, str | None]:
        """(bytes, Content-Encoding) for a client sending accept_encoding, with this
        request's value in every hole."""
        filled = [values[name]().encode() for name in self.holes]
        encoding = compression.accepted_encoding(accept_encoding, self.brotli is not None)
        if encoding == compression.BROTLI and self.brotli is not None:
            return self.brotli, encoding
        if encoding == compression.GZIP:
            if self.gzipped is not None:
                return self.gzipped, encoding
            return self.spliced.gzip(filled), encoding
        return self.spliced.plain(filled), None


def cache() -> VersionedCache[str, CachedPage]:
    """This app's page cache: slot -> (state, page), the least recently used going first."""
    return app_cache("pages", MAX_PAGES)


def _slot_key(script_root: str, endpoint: str | None, locale: str, slot: Iterable[Any]) -> str:
    return _digest((script_root, endpoint, locale, *slot))


def _request_slot_key(slot: Iterable[Any]) -> str:
    """The slot key of the page this Flask request renders, in the visitor's language."""
    return _slot_key(request.script_root, request.endpoint, current_locale(), slot)


def _filled(page: str, holes: Mapping[str, Callable[[], str]]) -> str:
    """A page rendered with hole() placeholders, with this request's values in them."""
    if "\x00hole:" not in page:
        return page
    return _HOLE.sub(lambda match: holes[match.group(1)](), page)


def _store(slot_key: str, state_key: str, page: str) -> CachedPage:
    entry = CachedPage.build(page)
    cache().put(slot_key, state_key, entry)
    return entry


def page_response(entry: CachedPage, holes: Mapping[str, Callable[[], str]]) -> Response:
    """A stored page as a Flask response, compressed as the client accepts."""
    data, encoding = entry.body(holes, request.headers.get("Accept-Encoding"))
    response = Response(data, mimetype="text/html")
    response.vary.add("Accept-Encoding")  # and the language (campaign.i18n.web)
    if encoding:
        response.headers["Content-Encoding"] = encoding
    return response


def cached_response(
    slot: Iterable[Any],
    state: Iterable[Any],
    holes: dict[str, Callable[[], str]],
    render: Callable[[], str],
    keep: Callable[[], bool] = lambda: True,
) -> Response:
    """The page for slot in this state as a response: from memory, or render() once and
    keep it.

    keep() is asked after render(): False leaves this copy unstored (it was rendered from
    data read in another state than `state`).

    holes maps a name to a function returning this request's value of a per-visitor or
    changing string (a form token, a seat figure), which render() writes as hole(name):
    the stored copy keeps the hole, and every answer, the first one included, has the
    current value in it; a hole the page does not show is never asked for."""
    if "_flashes" in session or request.method != "GET":
        return Response(_filled(render(), holes), mimetype="text/html")
    slot_key = _request_slot_key(slot)
    state_key = _digest(state)
    entry = cache().get(slot_key, state_key)
    if entry is None:
        page = render()
        if "_flashes" in session or not keep():  # for this visitor only
            return Response(_filled(page, holes), mimetype="text/html")
        entry = _store(slot_key, state_key, page)
    return page_response(entry, holes)


# --- cached pages before the request cycle ---------------------------------------------------


@dataclass(frozen=True)
class PageKey:
    """Which stored page a request asks for: its slot, its current state and its holes."""

    slot: tuple[Any, ...]
    state: tuple[Any, ...]
    holes: dict[str, Callable[[], str]] = field(default_factory=dict)


T = TypeVar("T")


class Reads:
    """The database as a key function sees it in CachedPages, for one request: a
    connection opened on first use, and reads remembered while the database is unchanged."""

    def __init__(self, engine: Engine, marks: ChangeMarks | None, memory: dict[Any, Any]):
        self._engine = engine
        self._marks = marks
        self._memory = memory
        self._connection: Connection | None = None

    def connection(self) -> Connection:
        """An autocommit connection (PostgreSQL; SQLite: the app's), closed after the key."""
        if self._connection is None:
            self._connection = self._engine.connect()
        return self._connection

    def remembered(self, key: Hashable, read: Callable[[Connection], T]) -> T:
        """read(connection), or what it gave for the same key when nothing has been
        committed to the database since (the change mark is taken before reading).

        read must depend on the database alone (no clock, no request): a value that
        depends on the time is derived from what read returns, on every request."""
        mark = self._marks.mark() if self._marks is not None else None
        if mark is not None:
            found = self._memory.get(key)
            if found is not None and found[0] == mark:
                value: T = found[1]
                return value
        value = read(self.connection())
        if mark is not None:
            if len(self._memory) >= MAX_PAGES:
                self._memory.clear()
            self._memory[key] = (mark, value)
        return value

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


# (path parameters, query arguments, the database, now, the visitor's language) -> the
# page's key, or None when the Flask view must answer (not found, nothing to show).
KeyFunction = Callable[
    [dict[str, str], "MultiDict[str, str]", Reads, datetime, str], PageKey | None
]


@dataclass(frozen=True)
class CachedRoute:
    """A public page CachedPages may answer: a path pattern (named groups are the view's
    arguments), the view's endpoint, the function giving the key the view stores under,
    and headers its answers carry beside the app's own (those the view sets)."""

    pattern: re.Pattern[str]
    endpoint: str
    key: KeyFunction
    headers: tuple[tuple[str, str], ...] = ()


class CachedPages:
    """WSGI middleware answering GET and HEAD of stored public pages before Flask."""

    def __init__(self, app: Flask, wsgi_app: WSGIApplication, routes: Sequence[CachedRoute]):
        self.app = app
        self.next = wsgi_app
        self.routes = list(routes)
        self.cookie = str(app.config["SESSION_COOKIE_NAME"])
        self.headers = response_headers(app)
        with app.app_context():
            self.locales = supported_locales()
            self.default_locale = default_locale()
        self.secure_cookie = bool(app.config.get("SESSION_COOKIE_SECURE"))
        self._engine: Engine | None = None
        self._marks: ChangeMarks | None = None
        # Reads.remembered's values: key -> (change mark, value).
        self._remembered: dict[Any, tuple[Hashable, Any]] = {}

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if method in ("GET", "HEAD") and not self._has_session(environ):
            path: str = environ.get("PATH_INFO", "")
            for route in self.routes:
                match = route.pattern.fullmatch(path)
                if match is not None:
                    args = MultiDict(
                        parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
                    )
                    choice = self._locale(args, environ)
                    answer = self._answer(route, match.groupdict(), args, choice.locale, environ)
                    if answer is not None:
                        data, encoding = answer
                        headers = [
                            ("Content-Type", "text/html; charset=utf-8"),
                            ("Content-Length", str(len(data))),
                            ("Vary", "Accept-Encoding, Accept-Language, Cookie"),
                            *self.headers,
                            *route.headers,
                        ]
                        if encoding:
                            headers.append(("Content-Encoding", encoding))
                        if choice.sets_cookie:
                            cookie = negotiation.set_cookie_header(
                                choice.locale, self.secure_cookie
                            )
                            headers.append(("Set-Cookie", cookie))
                        start_response("200 OK", headers)
                        return [] if method == "HEAD" else [data]
                    break
        return self.next(environ, start_response)

    def _locale(self, args: MultiDict[str, str], environ: WSGIEnvironment) -> negotiation.Choice:
        """The visitor's language, chosen as campaign.i18n.web chooses it for Flask."""
        return negotiation.choose(
            args.get(negotiation.LANG_PARAM),
            negotiation.cookie_locale(environ.get("HTTP_COOKIE"), self.locales),
            environ.get("HTTP_ACCEPT_LANGUAGE"),
            self.locales,
            self.default_locale,
        )

    def _has_session(self, environ: WSGIEnvironment) -> bool:
        cookies = environ.get("HTTP_COOKIE", "")
        return bool(cookies) and f"{self.cookie}=" in cookies

    def _reader(self) -> Engine:
        """The engine for state queries. SQLite: the app's (reads are local). Elsewhere a
        small pool of its own in autocommit without a ping on checkout: the state query
        is the one round trip (no BEGIN, ROLLBACK or SELECT 1 around it). A connection the
        server dropped fails that query; the pool discards it and Flask answers."""
        if self._engine is None:
            from campaign.extensions import db

            with self.app.app_context():
                engine = db.engine
            if engine.dialect.name != "sqlite":
                reader = create_engine(
                    engine.url, isolation_level="AUTOCOMMIT", pool_size=2, max_overflow=8
                )
                # Closed with the app's engine (tests, a worker shutting down).
                event.listen(engine, "engine_disposed", lambda _engine: reader.dispose())
                engine = reader
            self._marks = ChangeMarks(engine)
            self._engine = engine
        return self._engine

    def _answer(
        self,
        route: CachedRoute,
        params: dict[str, str],
        args: MultiDict[str, str],
        locale: str,
        environ: WSGIEnvironment,
    ) -> tuple[bytes, str | None] | None:
        """The stored page's bytes and encoding, or None when Flask must answer."""
        with self.app.app_context():
            reads = Reads(self._reader(), self._marks, self._remembered)
            try:
                key = route.key(params, args, reads, utcnow(), locale)
            except SQLAlchemyError:
                return None
            finally:
                reads.close()
            if key is None:
                return None
            script_root = environ.get("SCRIPT_NAME", "").rstrip("/")
            entry = cache().get(
                _slot_key(script_root, route.endpoint, locale, key.slot), _digest(key.state)
            )
            if entry is None:
                return None
            return entry.body(key.holes, environ.get("HTTP_ACCEPT_ENCODING"))


def init_app(app: Flask, routes: Sequence[CachedRoute]) -> None:
    """Put the stored-page layer in front of the app."""
    # Flask documents wrapping wsgi_app this way; mypy sees a method being replaced.
    app.wsgi_app = CachedPages(app, app.wsgi_app, routes)  # type: ignore[method-assign]
