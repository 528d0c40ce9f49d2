"""The scheduler as processes: creating the app starts none, `jobs run` and `mail deliver`
run one job, `flask scheduler` ticks and stops on SIGTERM, and two schedulers on one
PostgreSQL database deliver 2,000 reminders once each although one is SIGKILLed mid-run."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from campaign.campaigns.models import Campaign
from campaign.core.timeutil import utcnow
from campaign.events.models import Event
from campaign.extensions import db
from campaign.mail.models import OutboxMessage
from campaign.organizers import services as organizer_services
from tests.conftest import REPO_ROOT
from tests.reminders.conftest import SECRET, bulk_registrations, register, rows
from tests.support.smtp import SMTPServer

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
RENEW_GROUP = 10  # messages one claim renewal covers in the two-scheduler test


def due_now(event_at: Callable[..., Event]) -> Event:
    """An event whose two-hours-before reminder fell due ten minutes ago (real time)."""
    start = utcnow().replace(microsecond=0) + timedelta(minutes=110)
    return event_at(start, reminder_offsets=[120])


def scheduler_env(
    database_url: str, smtp_port: int, instance: Path, **extra: str
) -> dict[str, str]:
    env = {
        **os.environ,
        "CAMPAIGN_ENV": "testing",
        "CAMPAIGN_SECRET_KEY": SECRET,
        "CAMPAIGN_DATABASE_URL": database_url,
        "CAMPAIGN_INSTANCE_PATH": str(instance),
        "CAMPAIGN_BASE_URL": "https://campaign.example.org",
        "CAMPAIGN_MAIL_BACKEND": "smtp",
        "CAMPAIGN_SMTP_HOST": "127.0.0.1",
        "CAMPAIGN_SMTP_PORT": str(smtp_port),
        "CAMPAIGN_SMTP_SECURITY": "none",
        "CAMPAIGN_SMTP_TIMEOUT": "5",
        "CAMPAIGN_SCHEDULER_DELIVER_SECONDS": "1",
        "CAMPAIGN_SCHEDULER_REMINDERS_SECONDS": "1",
        **extra,
    }
    env.pop("CAMPAIGN_SMTP_USERNAME", None)
    env.pop("DATABASE_URL", None)
    instance.mkdir(parents=True, exist_ok=True)
    return env


def start_scheduler(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "campaign", "scheduler"],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes the test started; any still running are stopped at the end."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def test_creating_the_app_starts_no_scheduler(app_config: dict[str, Any], tmp_path: Path):
    """As a web worker does: import, create the app, serve; no scheduler thread appears."""
    config = {**app_config, "DATABASE_URL": f"sqlite:///{tmp_path}/web.sqlite3"}
    script = f"""
import json, sys, threading
from campaign import create_app
app = create_app({config!r})
app.test_client().get("/healthz")
print(json.dumps({{
    "threads": [t.name for t in threading.enumerate()],
    "apscheduler": sorted(m for m in sys.modules if m.startswith("apscheduler")),
}}))
"""
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["threads"] == ["MainThread"], found
    assert not [m for m in found["apscheduler"] if m.startswith("apscheduler.schedulers")]


def test_jobs_run_and_mail_deliver_from_the_cli(app, runner, smtp, event_at):
    event = due_now(event_at)
    register(event, "sam@example.org", utcnow() - timedelta(days=1))

    result = runner.invoke(args=["jobs", "run", "reminders"])
    assert result.exit_code == 0, result.output
    assert "reminders: 1" in result.output
    result = runner.invoke(args=["jobs", "run", "deliver"])
    assert result.exit_code == 0, result.output
    assert "sent: 2" in result.output  # the confirmation and the reminder
    assert len(smtp.to("sam@example.org")) == 2
    result = runner.invoke(args=["mail", "deliver"])
    assert result.exit_code == 0 and "Sent 0" in result.output, result.output
    result = runner.invoke(args=["jobs", "run", "housekeeping"])
    assert result.exit_code == 0 and "anonymised: 0" in result.output, result.output
    assert runner.invoke(args=["jobs", "run", "nonsense"]).exit_code != 0
    assert {r.status for r in rows()} == {"sent"}


@pytest.mark.slow
def test_the_scheduler_process_ticks_logs_counts_and_stops_on_sigterm(
    app, smtp, event_at, processes, tmp_path
):
    event = due_now(event_at)
    register(event, "sam@example.org", utcnow() - timedelta(days=1))
    env = scheduler_env(app.config["SQLALCHEMY_DATABASE_URI"], smtp.port, tmp_path / "instance")
    log = tmp_path / "scheduler.log"
    process = start_scheduler(env, log)
    processes.append(process)

    wait_until(lambda: len(smtp.received) >= 2, 60, "the confirmation and the reminder")
    wait_until(lambda: "sent 1" in log.read_text(), 30, "a delivery tick in the log")
    time.sleep(1.5)  # a few more (idle) ticks
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0
    output = log.read_text()
    assert "scheduler: started" in output
    assert re.search(r"job reminders: reminders 1\b", output), output
    assert re.search(r"job deliver: claimed \d+, sent [12]\b", output), output
    assert "stopping on signal 15" in output
    assert not EMAIL.findall(output), EMAIL.findall(output)
    assert "Traceback" not in output
    assert len(smtp.received) == 2
    assert {r.status for r in rows()} == {"sent"}


def seed(pg_app: Flask, registrations: int) -> None:
    """A campaign, an organizer and an event whose two-hour reminder fell due (real time)."""
    with pg_app.app_context():
        campaign = Campaign(
            slug="nkd",
            name="National Ketamine Day",
            day=date.today() + timedelta(days=28),
            disclaimer="Educational content, not medical advice.",
        )
        db.session.add(campaign)
        organizer = organizer_services.create_organizer(
            "organizer@example.org", "Organizer", "correct horse battery staple"
        )
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=110)
        event = Event(
            campaign_id=campaign.id,
            organizer_id=organizer.id,
            slug="big-event",
            title="Big event",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            timezone="Europe/London",
            venue="Town Hall",
            city="Leeds",
            status="published",
            published_at=utcnow(),
            reminder_offsets=[120],
        )
        db.session.add(event)
        db.session.commit()
        bulk_registrations(event.id, registrations, utcnow() - timedelta(days=1))
        db.session.remove()


def claimed_by_pid(pg_app: Flask, pid: int) -> set[str]:
    """Message-IDs of the rows a process's deliverer holds and has not recorded."""
    with pg_app.app_context():
        found = set(
            db.session.scalars(
                select(OutboxMessage.message_id).where(
                    OutboxMessage.claimed_by.like(f"%:{pid}:%"),
                    OutboxMessage.status == "queued",
                )
            )
        )
        db.session.remove()
        return found


@pytest.mark.slow
def test_two_schedulers_on_postgres_one_killed_deliver_every_reminder_once(
    pg_app, smtp: SMTPServer, processes, tmp_path
):
    total = 2_000
    seed(pg_app, total)
    env = scheduler_env(
        pg_app.config["SQLALCHEMY_DATABASE_URI"],
        smtp.port,
        tmp_path / "instance",
        CAMPAIGN_MAIL_BATCH_SIZE="50",
        CAMPAIGN_MAIL_LEASE_SECONDS="8",  # well above a send, even on a busy machine
        CAMPAIGN_MAIL_RENEW_GROUP=str(RENEW_GROUP),
    )
    first = start_scheduler(env, tmp_path / "first.log")
    second = start_scheduler(env, tmp_path / "second.log")
    processes.extend([first, second])

    wait_until(lambda: len(smtp.received) >= 300, 90, "300 reminders delivered")
    first.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    first.wait(10)
    in_flight = claimed_by_pid(pg_app, first.pid)
    at_kill = len(smtp.received)
    assert at_kill < total, "delivery finished before the kill: nothing was tested"

    wait_until(lambda: len(set(smtp.received_ids())) >= total, 120, "every reminder")
    time.sleep(1.0)  # a late duplicate would arrive now
    second.send_signal(signal.SIGTERM)
    assert second.wait(20) == 0

    with pg_app.app_context():
        outbox = list(db.session.scalars(select(OutboxMessage)))
        db.session.remove()
    assert len(outbox) == total  # one reminder per registration: the dedupe key held
    assert {r.status for r in outbox} == {"sent"}
    counts = smtp.received_ids()
    assert set(counts) == {r.message_id for r in outbox}
    duplicates = {mid: n for mid, n in counts.items() if n > 1}
    extra = sum(n - 1 for n in duplicates.values())
    # Only what the killed process had handed to the server but not yet recorded can be
    # sent again: rows it still held, at most one renewal group of them.
    when = {
        mid: [round(a.at - killed_at, 2) for a in smtp.received if a.message_id == mid]
        for mid in duplicates
    }  # seconds after the kill that each copy was accepted, for the failure message
    assert set(duplicates) <= in_flight, (when, sorted(in_flight))
    assert extra <= RENEW_GROUP, f"{extra} sent twice; killed after {at_kill} received"
    logs = (tmp_path / "first.log").read_text() + (tmp_path / "second.log").read_text()
    assert not EMAIL.findall(logs)
