"""The delivery job: deliver the due outbox, batch after batch (the scheduler runs it
every few seconds; `flask --app campaign mail deliver` and the tests run it once)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from flask import Flask, current_app

from campaign.extensions import db

log = logging.getLogger(__name__)

DELIVERY_TOTALS = (
    "claimed",
    "sent",
    "retried",
    "unknown",
    "failed",
    "withdrawn",
    "sent_while_withdrawn",
    "held_back",
    "lost_lease",
    "deferred",
)
# app.extensions[WORKER_KEY]: the id a scheduler process claims mail under (delivery_worker).
WORKER_KEY = "campaign.mail_worker"


@contextmanager
def delivery_worker(app: Flask) -> Iterator[str]:
    """Claim mail under one worker id for as long as this lasts (a scheduler's life): the
    configured SCHEDULER_ID, held exclusively, or a random one."""
    from campaign.mail.claims import scheduler_worker_id

    with scheduler_worker_id(app.config["SCHEDULER_ID"]) as worker:
        app.extensions[WORKER_KEY] = worker
        try:
            yield worker
        finally:
            app.extensions.pop(WORKER_KEY, None)


def run_delivery(now: datetime | None = None, max_batches: int = 50) -> dict[str, int]:
    """Deliver due outbox rows, batch after batch, until none are due.

    A message that fails for now only delays itself; the round stops early only when
    the server cannot take mail, and then this process waits (Outage) before trying
    again. What the round saw is noted for the outbox and /healthz/mail.
    """
    from campaign.mail import delivery, health
    from campaign.mail.backends import backend_from_config
    from campaign.mail.policy import outage_of, policy_from_config, running_clock

    config = current_app.config
    totals = dict.fromkeys(DELIVERY_TOTALS, 0)
    clock = running_clock(now)
    outage = outage_of(current_app)
    if outage.waiting(clock()):
        return totals
    backend = backend_from_config(config, current_app.instance_path)
    policy = policy_from_config(config)
    worker = current_app.extensions.get(WORKER_KEY) or delivery.worker_id()
    error = unavailable = None
    try:
        for _ in range(max_batches):  # one SMTP connection for all of them
            if delivery.stop_requested():
                break
            report = delivery.deliver_due(
                backend, config["MAIL_SENDER"], policy, worker, clock(), keep_open=True
            )
            for key in totals:
                totals[key] += getattr(report, key)
            error = report.errors[-1] if report.errors else error
            if report.sent:
                outage.recovered()
            if report.unavailable:
                unavailable = report.unavailable
                break
            if report.claimed == 0:
                break
    finally:
        backend.close()
    retry_at = outage.failed(clock(), policy) if unavailable else None
    if unavailable:
        log.warning(
            "deliver: the mail server cannot take mail (%s); trying again in %.0f s",
            health.scrub(unavailable),
            (retry_at - clock()).total_seconds() if retry_at else 0,
        )
    if totals["sent"] or error:
        health.note_round(clock(), totals["sent"], error, retry_at)
        db.session.commit()
    return totals
