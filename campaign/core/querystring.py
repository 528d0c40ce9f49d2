"""Query strings with raw bytes that are not UTF-8, made readable before anything parses
them.

Browsers percent-encode a query string, but scanners and broken clients send raw bytes
(`/events?q=\xff`). Werkzeug decodes the raw string as UTF-8 and raises, so the page cache,
the API front and every view would answer 500. Percent-encoding those bytes instead makes
them what a browser would have sent: the bad byte reads as U+FFFD, like `%FF` already does,
and the page answers as it does for any other odd search. A valid query string is left
exactly as it came.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from flask import Flask

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# Kept as they are: the characters that structure a query and existing %-escapes.
_SAFE = "&=+%;/?:@,$!*'()~-_."


def readable(query: str) -> str:
    """The query string (a WSGI latin-1 string of bytes) with non-UTF-8 bytes escaped."""
    try:
        raw = query.encode("latin-1")
        raw.decode("utf-8")
    except UnicodeEncodeError:  # not a WSGI byte string: leave it to the server's rules
        return query
    except UnicodeDecodeError:
        return quote(raw, safe=_SAFE)
    return query


class ReadableQueryStrings:
    """WSGI middleware: escapes unreadable query bytes, then calls the app."""

    def __init__(self, wsgi_app: WSGIApplication) -> None:
        self.next = wsgi_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[Any]:
        query = environ.get("QUERY_STRING")
        if query and not query.isascii():
            environ["QUERY_STRING"] = readable(query)
        return self.next(environ, start_response)


def init_app(app: Flask) -> None:
    """Install the middleware outermost, so every layer before Flask sees the fixed query."""
    # Flask documents wrapping wsgi_app this way; mypy sees a method being replaced.
    app.wsgi_app = ReadableQueryStrings(app.wsgi_app)  # type: ignore[method-assign]
