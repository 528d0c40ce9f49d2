"""URL helpers: absolute links from the configured base URL, safe redirect targets."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def absolute_url(endpoint: str, **values: object) -> str:
    """An absolute URL built from BASE_URL, never from the request's Host header.

    Works outside a request too (scheduler jobs, CLI), since mail is built there.
    """
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    clean = {k: v for k, v in values.items() if v is not None}
    return adapter.build(endpoint, clean, force_external=True)


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


def page_number() -> int:
    """The ?page= argument, clamped to 1..MAX_PAGE (no OFFSET overflow on odd input)."""
    from flask import request

    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), MAX_PAGE)
