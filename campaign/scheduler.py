"""The scheduler process: the table of jobs, and the process that runs them on intervals.

The schedule is data and APScheduler only keeps time. Each job is a small function that
lives with its feature (mail.jobs.run_delivery, reminders.jobs.run_reminders) and runs
once inside an app context: the scheduler (`flask --app campaign scheduler`) calls it on
its interval, `flask --app campaign jobs run NAME` and the tests call it directly. Each
job reads the current time once and passes it down, so tests can pass their own.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app

from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.mail.jobs import delivery_worker, run_delivery
from campaign.organizers.notifications import run_job as run_notifications
from campaign.reminders.jobs import run_reminders

log = logging.getLogger(__name__)


def run_housekeeping(now: datetime | None = None) -> dict[str, int]:
    """The daily clean-up, one step per feature: anonymise registrant data past retention
    (signups), forget expired organizer sessions (organizers), prune unused card files
    (graphics), remove event proposals never confirmed within a week (hosting)."""
    from campaign.graphics.services.housekeeping import prune as prune_cards
    from campaign.hosting.services.proposals import purge_unconfirmed
    from campaign.organizers.services import purge_expired_sessions
    from campaign.signups.privacy import anonymise_past_retention

    now = now or utcnow()
    config = current_app.config
    anonymised = 0
    while True:
        batch = anonymise_past_retention(now, int(config["RETENTION_DAYS"]))
        db.session.commit()
        anonymised += batch
        if batch == 0:
            break
    sessions = purge_expired_sessions(now)
    db.session.commit()
    cards = prune_cards(now)
    db.session.commit()
    proposals = purge_unconfirmed(now)
    db.session.commit()
    return {
        "anonymised": anonymised,
        "sessions_purged": sessions,
        "proposals_purged": proposals,
        **{f"cards_{name}": n for name, n in cards.items()},
    }


@dataclass(frozen=True)
class Job:
    """One line of the schedule: a name (for `jobs run`), the job, and how often it runs."""

    name: str
    func: Callable[..., dict[str, int]]
    config_key: str  # the interval setting, in seconds


JOBS = (
    Job("deliver", run_delivery, "SCHEDULER_DELIVER_SECONDS"),
    Job("reminders", run_reminders, "SCHEDULER_REMINDERS_SECONDS"),
    Job("notifications", run_notifications, "SCHEDULER_NOTIFICATIONS_SECONDS"),
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
    """A BackgroundScheduler with one interval job per entry in JOBS (memory job store)."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone=UTC)
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
    """Run the jobs until SIGINT or SIGTERM, then stop cleanly and return.

    The deliverer claims mail under one worker id for the life of the process: the
    configured SCHEDULER_ID (held exclusively) or a random one. The first signal lets
    the jobs in flight end: a delivery finishes the message it is sending, records it
    and gives the rest of its batch back at once, so another scheduler takes it without
    waiting for the lease. A second signal exits at once (status 1); the rows that
    delivery held then wait for their (short, renewed) lease.
    """
    with app.app_context(), delivery_worker(app):
        _run_until_signal(app)


# Set by `make run`'s server for the scheduler it starts: if that server dies without
# stopping it (SIGKILL, a closed terminal), the scheduler notices and stops by itself.
DEVSERVER_PID_VARIABLE = "CAMPAIGN_DEVSERVER_PID"


def _devserver_pid() -> int | None:
    value = os.environ.get(DEVSERVER_PID_VARIABLE, "")
    return int(value) if value.isdigit() else None


def _run_until_signal(app: Flask) -> None:
    """Start the scheduler and wait in the main thread, where signal handlers run."""
    from campaign.mail import delivery

    stopping = threading.Event()

    def stop(signum: int, _frame: Any) -> None:
        if stopping.is_set():
            log.warning("scheduler: signal %d again; exiting without waiting for the jobs", signum)
            logging.shutdown()
            os._exit(1)
        log.info("scheduler: stopping on signal %d", signum)
        delivery.request_stop()
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    scheduler = build_scheduler(app)
    scheduler.start()
    log.info(
        "scheduler: started with jobs %s",
        ", ".join(f"{j.name} every {app.config[j.config_key]}s" for j in JOBS),
    )
    parent = _devserver_pid()
    try:
        # Signal handlers run in this (the main) thread while it waits.
        while not stopping.wait(2 if parent else 60):
            if parent and os.getppid() != parent:
                log.info("scheduler: the development server that started it is gone; stopping")
                delivery.request_stop()
                stopping.set()
        scheduler.shutdown(wait=True)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("scheduler: stopped")
