"""Security headers on every response."""

from __future__ import annotations

from flask import Flask, Response, request

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


DEFAULT_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
HSTS = ("Strict-Transport-Security", "max-age=31536000")


def csp_framable_by(sources: str) -> str:
    """The site's CSP letting `sources` frame the page (only for pages made to be framed,
    the event finder); every other page keeps frame-ancestors 'none'."""
    return CSP.replace("frame-ancestors 'none'", f"frame-ancestors {sources}")


def response_headers(app: Flask) -> list[tuple[str, str]]:
    """The headers every response of this app carries (for answers made outside Flask)."""
    headers = list(DEFAULT_HEADERS.items())
    if app.config["IS_PRODUCTION"]:
        headers.append(HSTS)
    return headers


_DEFAULT_NAMES = [(name.lower(), name, value) for name, value in DEFAULT_HEADERS.items()]


def add_security_headers(response: Response) -> Response:
    """Set CSP, nosniff, framing and referrer headers unless a view chose stricter ones."""
    headers = response.headers
    present = {name.lower() for name, _ in headers.items()}  # one pass, not one per header
    for lowered, name, value in _DEFAULT_NAMES:
        if lowered not in present:
            headers.add(name, value)
    policy = headers.get("Content-Security-Policy", "")
    if "frame-ancestors" in policy and "frame-ancestors 'none'" not in policy:
        # The view chose who may frame it (csp_framable_by); X-Frame-Options: DENY would
        # still refuse every frame in browsers that read it.
        del headers["X-Frame-Options"]
    if request.path.startswith("/manage"):
        headers.setdefault("Cache-Control", "no-store")
        headers.setdefault("X-Robots-Tag", "noindex")
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
    if app.config["IS_PRODUCTION"]:

        @app.after_request
        def hsts(response: Response) -> Response:
            response.headers.setdefault(*HSTS)
            return response
