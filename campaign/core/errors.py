"""Friendly error pages: never a traceback, always the disclaimer and a way back."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, SecurityError

from campaign.extensions import db

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Please go back and try again."),
    403: ("Not allowed", "You do not have access to this page."),
    404: ("Page not found", "We could not find that page. It may have moved or never existed."),
    405: ("Not allowed", "That action is not available here."),
    413: ("Too large", "What you sent is too large."),
    429: (
        "Too many attempts",
        "You have tried this too often in a short time. Please wait a few minutes and retry.",
    ),
    500: ("Something went wrong", "An error occurred on our side. Please try again shortly."),
    503: (
        "Temporarily unavailable",
        "The service is briefly unavailable. Please try again in a minute.",
    ),
}


def render_error(code: int, message: str | None = None) -> tuple[str, int]:
    """The error page for an HTTP status code."""
    title, default = MESSAGES.get(code, MESSAGES[500])
    body = render_template("errors/error.html", code=code, title=title, message=message or default)
    return body, code


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        code = exc.code or 500
        response = render_error(code)
        if code == 405 and exc.get_response().headers.get("Allow"):
            return response[0], code, {"Allow": exc.get_response().headers["Allow"]}
        return response

    @app.errorhandler(SecurityError)
    def untrusted_host(exc: SecurityError):  # type: ignore[no-untyped-def]
        # A Host outside TRUSTED_HOSTS: no URL adapter exists, so no page with links.
        return "Bad request: unknown host.\n", 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):  # type: ignore[no-untyped-def]
        return render_error(
            400,
            "Your form expired or was sent from another page. Go back, reload and submit again.",
        )

    @app.errorhandler(OperationalError)
    def database_unavailable(exc: OperationalError):  # type: ignore[no-untyped-def]
        log.error("database unavailable: %s", type(exc.orig).__name__)
        db.session.rollback()
        body, code = render_error(503)
        return body, code, {"Retry-After": "5"}

    @app.errorhandler(500)
    def server_error(exc: Exception):  # type: ignore[no-untyped-def]
        return render_error(500)
