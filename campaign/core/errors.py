"""Friendly error pages: never a traceback, always the disclaimer and a way back."""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, SecurityError

from campaign.core.throttle import Limited
from campaign.extensions import db, limiter
from campaign.i18n.markers import N_

log = logging.getLogger(__name__)

# Marked for the catalog; render_error translates them into the visitor's language.
MESSAGES = {
    400: (
        N_("Bad request"),
        N_("The request could not be understood. Please go back and try again."),
    ),
    403: (N_("Not allowed"), N_("You do not have access to this page.")),
    404: (
        N_("Page not found"),
        N_("We could not find that page. It may have moved or never existed."),
    ),
    405: (N_("Not allowed"), N_("That action is not available here.")),
    413: (N_("Too large"), N_("What you sent is too large.")),
    429: (
        N_("Too many attempts"),
        N_("You have tried this too often in a short time. Please wait a few minutes and retry."),
    ),
    500: (
        N_("Something went wrong"),
        N_("An error occurred on our side. Please try again shortly."),
    ),
    503: (
        N_("Temporarily unavailable"),
        N_("The service is briefly unavailable. Please try again in a minute."),
    ),
}


def render_error(code: int, message: str | None = None) -> tuple[str, int]:
    """The error page for an HTTP status code."""
    title, default = MESSAGES.get(code, MESSAGES[500])
    body = render_template(
        "errors/error.html", code=code, title=gettext(title), message=message or gettext(default)
    )
    return body, code


def _too_many_attempts() -> tuple[str, int, dict[str, str]]:
    """A limit enforced by Flask-Limiter (the invitation form): how long to wait, and when.

    The sign-up and sign-in forms check their own limits and answer with the form kept
    (campaign.core.throttle), so they never end here.
    """
    current = limiter.current_limit
    retry_after = max(1, math.ceil(current.reset_at - time.time())) if current else 60
    wait = Limited("", retry_after).wait_text
    body, code = render_error(
        429,
        gettext(
            "You have tried this too often in a short time. Wait %(wait)s, then go back and "
            "send the form again.",
            wait=wait,
        ),
    )
    return body, code, {"Retry-After": str(retry_after)}


def csrf_failure_page() -> tuple[str, int]:
    """The answer to a form whose CSRF token is missing, expired or from another session."""
    return render_error(
        400,
        gettext(
            "Your form expired or was sent from another page. Go back, reload and submit again."
        ),
    )


def init_app(app: Flask) -> None:
    """Register the error pages."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        """Every HTTP error as the site's error page (429 says how long to wait)."""
        code = exc.code or 500
        if code == 429:
            return _too_many_attempts()
        response = render_error(code)
        if code == 405 and exc.get_response().headers.get("Allow"):
            return response[0], code, {"Allow": exc.get_response().headers["Allow"]}
        return response

    @app.errorhandler(SecurityError)
    def untrusted_host(exc: SecurityError) -> ResponseReturnValue:
        """A Host outside TRUSTED_HOSTS: plain text (no URL adapter exists for links)."""
        return "Bad request: unknown host.\n", 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> ResponseReturnValue:
        """A form without a valid CSRF token: refused, with how to send it again."""
        return csrf_failure_page()

    @app.errorhandler(OperationalError)
    def database_unavailable(exc: OperationalError) -> ResponseReturnValue:
        """The database does not answer: 503, try again in a few seconds."""
        log.error("database unavailable: %s", type(exc.orig).__name__)
        db.session.rollback()
        body, code = render_error(503)
        return body, code, {"Retry-After": "5"}

    @app.errorhandler(500)
    def server_error(exc: Exception) -> ResponseReturnValue:
        """An unexpected error: the 500 page, nothing about the cause."""
        return render_error(500)
