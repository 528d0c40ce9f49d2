"""URL helpers: the id converter for routes, absolute links from the base URL, safe redirects."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter, MapAdapter, Rule, ValidationError

# Every id column is a 32-bit INTEGER on PostgreSQL (SQLite's limit is 64 bits).
MAX_ROUTE_INT = 2**31 - 1


class DatabaseIntConverter(IntegerConverter):
    """<int:...> in every route: a number no id column can hold does not match (404)
    instead of reaching the database (SQLite raises OverflowError past 64 bits)."""

    def to_python(self, value: str) -> int:
        number: int = super().to_python(value)
        if not -MAX_ROUTE_INT - 1 <= number <= MAX_ROUTE_INT:
            raise ValidationError()
        return number


class LazyBuilderRule(Rule):
    """A route whose URL builders (what url_for runs for it) are compiled the first time a
    URL is built from it, not when the app adds the route.

    Werkzeug generates and compiles Python code for two builders per route as it is
    added: about 30 ms of CPU of every start for the app's 121 routes, of which a worker
    builds URLs of a few before its first page. The first build compiles werkzeug's own
    builder and puts it in the rule's place, so every URL is the one werkzeug builds."""

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compile_builder = super()._compile_builder
        name = "_build_unknown" if append_unknown else "_build"

        def build_first(rule: Rule, /, **values: Any) -> tuple[str, str]:
            compiled = compile_builder(append_unknown)
            setattr(rule, name, compiled.__get__(rule, None))
            return compiled(rule, **values)

        return build_first


def absolute_url(endpoint: str, **values: object) -> str:
    """An absolute URL built from BASE_URL, never from the request's Host header.

    Works outside a request too (scheduler jobs, CLI), since mail is built there.
    """
    clean = {k: v for k, v in values.items() if v is not None}
    return _adapter(current_app.config["BASE_URL"]).build(endpoint, clean, force_external=True)


# Characters a URL path segment holds as they are (RFC 3986's unreserved ones).
_UNRESERVED = re.compile(r"[A-Za-z0-9._~-]+")


def last_segment_urls(build: Callable[..., str], endpoint: str, name: str) -> Callable[[str], str]:
    """URLs of `endpoint` whose route ends with the <name> segment, for many values of it
    (a listing's links): `build` (url_for, absolute_url) runs once and each value of
    unreserved characters only is put in its place as it is; any other value goes
    through `build` itself, so each URL is what build(endpoint, name=value) gives."""
    head = build(endpoint, **{name: "_"})[:-1]

    def url(value: str) -> str:
        if _UNRESERVED.fullmatch(value):
            return head + value
        return build(endpoint, **{name: value})

    return url


def _adapter(base_url: str) -> MapAdapter:
    """The app's URL map bound to base_url, bound once per app and base URL (a mail
    builds several links, and binding costs twice what building one does)."""
    adapters: dict[str, MapAdapter] = current_app.extensions.setdefault(_ADAPTERS, {})
    adapter = adapters.get(base_url)
    if adapter is None:
        base = urlsplit(base_url)
        adapter = current_app.url_map.bind(
            base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
        )
        adapters[base_url] = adapter
    return adapter


_ADAPTERS = "campaign.url_adapters"


def safe_next(target: str | None, default: str) -> str:
    """target when it is a path on this site, default otherwise (no open redirects)."""
    if not target or len(target) > 2000:
        return default
    if any(ch in target for ch in "\\\r\n\t") or not target.startswith("/"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return default
    return target


MAX_PAGE = 10_000


def page_number(args: MultiDict[str, str] | None = None) -> int:
    """The ?page= argument (of args, default the request's), clamped to 1..MAX_PAGE (no
    OFFSET overflow on odd input)."""
    from flask import request

    page = (request.args if args is None else args).get("page", 1, type=int) or 1
    return min(max(page, 1), MAX_PAGE)
