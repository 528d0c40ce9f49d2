"""URL helpers: absolute links from the configured base URL, safe redirect targets."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, url_for


def absolute_url(endpoint: str, **values: object) -> str:
    """An absolute URL built from BASE_URL, never from the request's Host header."""
    return current_app.config["BASE_URL"] + url_for(endpoint, _external=False, **values)


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
