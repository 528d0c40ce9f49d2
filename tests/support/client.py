"""The one test client of the suite: every request runs as it would on a real server."""

from __future__ import annotations

import contextvars
from typing import Any

from flask import has_app_context
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from campaign.extensions import db


class IsolatedClient(FlaskClient):
    """A test client whose requests run outside the test's app context.

    The `app` fixture keeps an app context pushed for the whole test, so the test can use
    the database, and Flask reuses an open app context for every request: `g` (and so
    Flask-Login's signed-in user) and the database session would carry over from one
    request, or one client, to the next. That hides bugs a real server shows: an object
    loaded by one request and lazy-loaded by the next, a session left dirty or in a failed
    transaction, a user cached in `g`. Each request here runs in an empty
    contextvars.Context, so Flask pushes a fresh app context (and session) for it, and
    the body is buffered, so a streamed body is produced inside that context too.

    Afterwards the test's own transaction ends, so the test reads what the request
    committed instead of a snapshot taken before it. (Redirects being followed already
    run outside the test's context, each hop in a fresh app context of its own.)
    """

    def open(
        self, *args: Any, buffered: bool = True, follow_redirects: bool = False, **kwargs: Any
    ) -> TestResponse:
        if not has_app_context():  # a redirect being followed, or no test context at all
            return super().open(
                *args, buffered=buffered, follow_redirects=follow_redirects, **kwargs
            )
        try:
            return contextvars.Context().run(
                super().open, *args, buffered=buffered, follow_redirects=follow_redirects, **kwargs
            )
        finally:
            db.session.rollback()
