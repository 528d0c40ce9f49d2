"""/healthz: liveness plus a database round trip, for load balancers; /healthz/mail: the
mail queue, for monitoring."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from campaign.extensions import db

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """200 when the app and its database answer, 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        db.session.rollback()
        log.warning("health check: database error %s", type(exc).__name__)
        response = jsonify(status="error", database="unavailable")
        response.status_code = 503
    else:
        response = jsonify(status="ok", database="ok")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz/mail")
def healthz_mail() -> Response:
    """For monitoring: the mail queue's backlog and age, and what the schedulers last saw.

    200 while mail flows, 503 when mail has been due for MAIL_STUCK_MINUTES and nothing
    was delivered meanwhile. No personal data: counts, times, and the last error with
    any address removed. Not for load balancers: a stuck queue is no reason to stop
    serving pages.
    """
    from campaign.core.timeutil import utcnow
    from campaign.mail.health import delivery_health, stuck_after

    limit = stuck_after(current_app.config)
    try:
        health = delivery_health(utcnow(), limit)
    except SQLAlchemyError as exc:
        db.session.rollback()
        log.warning("mail health check: database error %s", type(exc).__name__)
        response = jsonify(status="error", database="unavailable")
        response.status_code = 503
        response.headers["Cache-Control"] = "no-store"
        return response

    def seconds(age: timedelta | None) -> int | None:
        return None if age is None else int(age.total_seconds())

    def instant(value: datetime | None) -> str | None:
        return None if value is None else value.isoformat(timespec="seconds")

    response = jsonify(
        status="stuck" if health.is_stuck else ("failing" if health.is_failing else "ok"),
        queued=health.queued,
        due=health.due,
        failed=health.failed,
        oldest_queued_seconds=seconds(health.oldest_queued_age),
        oldest_due_seconds=seconds(health.overdue),
        last_success_at=instant(health.last_success_at),
        last_error=health.last_error,
        last_error_at=instant(health.last_error_at),
        next_try_at=instant(health.next_try_at),
        last_attempt_at=instant(health.last_round_at),
        scheduler_running=not health.is_unattended,
        stuck_after_seconds=int(limit.total_seconds()),
    )
    response.status_code = 503 if health.is_stuck else 200
    response.headers["Cache-Control"] = "no-store"
    return response
