"""The reminders job: queue due reminders and thank-you notes (the scheduler runs it every
minute; `flask --app campaign jobs run reminders` and the tests run it once)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from campaign.core.timeutil import utcnow
from campaign.reminders.services import ReminderPolicy


def reminder_policy() -> ReminderPolicy:
    """How late reminders may still go out, from the REMINDER_* and THANK_YOU_* settings."""
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
    policy = reminder_policy()
    report = services.enqueue_due_reminders(now, policy)
    thanks = services.enqueue_thank_yous(now, policy)
    return {
        "reminders": report.reminders,
        "skipped_late": report.skipped_late,
        "thank_yous": thanks,
    }
