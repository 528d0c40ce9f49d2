"""Scheduler jobs: small functions that run once inside an app context.

The scheduler process (`flask --app campaign scheduler`) calls them on intervals;
`flask --app campaign jobs run NAME` and the tests call them directly. Each job
reads the current time once and passes it down, so tests can pass their own.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, current_app

from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.reminders.services import ReminderPolicy

log = logging.getLogger(__name__)


def reminder_policy() -> ReminderPolicy:
    config = current_app.config
    return ReminderPolicy(
        grace_short=timedelta(minutes=int(config["REMINDER_GRACE_SHORT_MINUTES"])),
        grace_long=timedelta(minutes=int(config["REMINDER_GRACE_LONG_MINUTES"])),
        thank_you_delay=timedelta(minutes=int(config["THANK_YOU_DELAY_MINUTES"])),
    )


def run_reminders(now: datetime | None = None) -> dict[str, int]:
    """Queue due reminders and thank-you notes."""
    from campaign.reminders import services

    now = now or utcnow()
    secret = current_app.config["SECRET_KEY"]
    policy = reminder_policy()
    report = services.enqueue_due_reminders(now, secret, policy)
    thanks = services.enqueue_thank_yous(now, secret, policy)
    return {
        "reminders": report.reminders,
        "skipped_late": report.skipped_late,
        "thank_yous": thanks,
    }


def run_delivery(now: datetime | None = None, max_batches: int = 50) -> dict[str, int]:
    """Deliver due outbox rows, batch after batch, until none are due."""
    from campaign.mail import delivery

    config = current_app.config
    backend = delivery.backend_from_config(config, current_app.instance_path)
    policy = delivery.DeliveryPolicy(
        batch_size=int(config["MAIL_BATCH_SIZE"]),
        lease=timedelta(seconds=int(config["MAIL_LEASE_SECONDS"])),
        max_attempts=int(config["MAIL_MAX_ATTEMPTS"]),
        renew_group=int(config["MAIL_RENEW_GROUP"]),
    )
    totals = {"claimed": 0, "sent": 0, "retried": 0, "failed": 0, "lost_lease": 0, "deferred": 0}
    worker = delivery.worker_id()
    try:
        for _ in range(max_batches):  # one SMTP connection for all of them
            report = delivery.deliver_due(
                backend, config["MAIL_SENDER"], policy, worker, now, keep_open=True
            )
            for key in totals:
                totals[key] += getattr(report, key)
            if report.claimed == 0 or report.retried:
                break
    finally:
        backend.close()
    return totals


def run_housekeeping(now: datetime | None = None) -> dict[str, int]:
    """Anonymise data past retention, forget expired sessions, prune unused card files."""
    from campaign.graphics.services import prune as prune_cards
    from campaign.organizers.services import purge_expired_sessions
    from campaign.signups.services import anonymise_past_retention

    now = now or utcnow()
    config = current_app.config
    anonymised = 0
    while True:
        batch = anonymise_past_retention(now, int(config["RETENTION_DAYS"]), config["SECRET_KEY"])
        db.session.commit()
        anonymised += batch
        if batch == 0:
            break
    sessions = purge_expired_sessions(now)
    db.session.commit()
    cards = prune_cards(now)
    db.session.commit()
    return {
        "anonymised": anonymised,
        "sessions_purged": sessions,
        **{f"cards_{name}": n for name, n in cards.items()},
    }


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[..., dict[str, int]]
    config_key: str  # the interval setting, in seconds


JOBS = (
    Job("deliver", run_delivery, "SCHEDULER_DELIVER_SECONDS"),
    Job("reminders", run_reminders, "SCHEDULER_REMINDERS_SECONDS"),
    Job("housekeeping", run_housekeeping, "SCHEDULER_HOUSEKEEPING_SECONDS"),
)


def run_job(app: Flask, job: Job) -> dict[str, int] | None:
    """Run one job in a fresh app context; a failure is logged, never fatal."""
    with app.app_context():
        try:
            result = job.func()
        except Exception:
            log.exception("job %s failed", job.name)
            db.session.rollback()
            return None
        finally:
            db.session.remove()
    if any(result.values()):
        log.info("job %s: %s", job.name, ", ".join(f"{k} {v}" for k, v in result.items()))
    return result


def build_scheduler(app: Flask) -> Any:
    """A BlockingScheduler with one interval job per entry in JOBS (memory job store)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(timezone=UTC)
    for job in JOBS:
        scheduler.add_job(
            run_job,
            "interval",
            args=(app, job),
            seconds=int(app.config[job.config_key]),
            id=job.name,
            name=job.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=30,
            next_run_time=datetime.now(UTC),
        )
    return scheduler


def run_scheduler(app: Flask) -> None:
    """Block running the jobs until SIGINT or SIGTERM."""
    scheduler = build_scheduler(app)

    def stop(signum: int, _frame: Any) -> None:
        log.info("scheduler: stopping on signal %d", signum)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info(
        "scheduler: started with jobs %s",
        ", ".join(f"{j.name} every {app.config[j.config_key]}s" for j in JOBS),
    )
    scheduler.start()
