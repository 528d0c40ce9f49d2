"""The scheduler as processes: creating the app starts none, `jobs run` and `mail deliver`
run one job, `flask scheduler` ticks and stops on SIGTERM; two schedulers on one
PostgreSQL database deliver 2,000 reminders once each although one is SIGKILLed mid-run
(its mail back within the lease, at most one message twice); a scheduler restarted under
its SCHEDULER_ID takes its mail back at once; and an event cancelled while two
schedulers send to a slow server gets nothing more than what was on its way."""

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

from campaign import create_app
from campaign.campaigns.models import Campaign
from campaign.core.timeutil import utcnow
from campaign.events.models import Event
from campaign.extensions import db
from campaign.mail.models import OutboxMessage
from campaign.organizers import services as organizer_services
from tests.conftest import REPO_ROOT
from tests.reminders.conftest import (
    SECRET,
    bulk_registrations,
    cancel_event,
    migrate,
    register,
    rows,
)
from tests.support.polling import wait_until
from tests.support.smtp import SMTPServer

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


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


def outbox_settled(app: Flask) -> bool:
    """Nothing queued and nothing claimed: no scheduler has anything left to send."""
    with app.app_context():
        busy = db.session.scalar(
            select(OutboxMessage.id).where(
                (OutboxMessage.status == "queued") | OutboxMessage.claimed_by.is_not(None)
            )
        )
        db.session.remove()
    return busy is None


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
    # Later ticks of both jobs must not send Sam anything again: a second registrant's
    # confirmation and reminder arriving proves those ticks ran, and with the outbox
    # settled nothing is left that could still go out.
    register(event, "kim@example.org", utcnow() - timedelta(days=1), name="Kim Lee")
    wait_until(lambda: len(smtp.to("kim@example.org")) >= 2, 60, "Kim's two messages")
    wait_until(lambda: outbox_settled(app), 30, "every message sent and no claim left")
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0
    output = log.read_text()
    assert "scheduler: started" in output
    assert re.search(r"job reminders: reminders 1\b", output), output
    assert re.search(r"job deliver: claimed \d+, sent [12]\b", output), output
    assert "stopping on signal 15" in output
    assert not EMAIL.findall(output), EMAIL.findall(output)
    assert "Traceback" not in output
    assert len(smtp.to("sam@example.org")) == 2
    assert len(smtp.received) == 4
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


def held_by(app: Flask, worker_like: str) -> tuple[set[str], set[str]]:
    """(Message-IDs of the queued rows a deliverer holds, those of them on their way)."""
    with app.app_context():
        found = list(
            db.session.execute(
                select(OutboxMessage.message_id, OutboxMessage.sending_at).where(
                    OutboxMessage.claimed_by.like(worker_like),
                    OutboxMessage.status == "queued",
                )
            )
        )
        db.session.remove()
    return {m for m, _ in found}, {m for m, sending in found if sending is not None}


LEASE_SECONDS = 5


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
        CAMPAIGN_MAIL_LEASE_SECONDS=str(LEASE_SECONDS),  # renewed while they work
    )
    first = start_scheduler(env, tmp_path / "first.log")
    second = start_scheduler(env, tmp_path / "second.log")
    processes.extend([first, second])

    wait_until(lambda: len(smtp.received) >= 300, 90, "300 reminders delivered")
    first.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    first.wait(10)
    held, on_its_way = held_by(pg_app, f"%:{first.pid}:%")
    at_kill = len(smtp.received)
    assert at_kill < total, "delivery finished before the kill: nothing was tested"
    assert len(on_its_way) <= 1, on_its_way  # one message at a time is on its way

    wait_until(lambda: len(set(smtp.received_ids())) >= total, 120, "every reminder")
    arrived = {a.message_id: a.at - killed_at for a in smtp.received}
    late = {mid: round(arrived[mid], 1) for mid in held if arrived[mid] > LEASE_SECONDS + 10}
    assert not late, f"the killed scheduler's mail waited longer than its lease: {late}"
    # A late duplicate could come only from a row still queued or claimed.
    wait_until(lambda: outbox_settled(pg_app), 30, "every message sent and no claim left")
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
    # Only the one message the killed process had handed to the server but not yet
    # recorded can be sent again.
    assert set(duplicates) <= on_its_way, (duplicates, on_its_way, at_kill)
    assert sum(n - 1 for n in duplicates.values()) <= 1
    logs = (tmp_path / "first.log").read_text() + (tmp_path / "second.log").read_text()
    assert not EMAIL.findall(logs)


@pytest.mark.slow
def test_a_scheduler_restarted_under_its_id_takes_its_mail_back_at_once(
    pg_app, smtp: SMTPServer, processes, tmp_path
):
    """With SCHEDULER_ID set and a 60-second lease, the mail a killed scheduler held goes
    out as soon as it is restarted, not a minute later."""
    total = 300
    seed(pg_app, total)
    smtp.handler.delay = 0.02
    env = scheduler_env(
        pg_app.config["SQLALCHEMY_DATABASE_URI"],
        smtp.port,
        tmp_path / "instance",
        CAMPAIGN_MAIL_BATCH_SIZE="100",
        CAMPAIGN_MAIL_LEASE_SECONDS="60",
        CAMPAIGN_SCHEDULER_ID="mail-host-1",
    )
    first = start_scheduler(env, tmp_path / "first.log")
    processes.append(first)
    wait_until(lambda: len(smtp.received) >= 30, 60, "30 reminders delivered")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    with pg_app.app_context():  # whatever it held, under whichever id
        held = set(
            db.session.scalars(
                select(OutboxMessage.message_id).where(
                    OutboxMessage.claimed_by.is_not(None), OutboxMessage.status == "queued"
                )
            )
        )
        db.session.remove()
    assert held, "the scheduler held nothing when it was killed: nothing was tested"
    smtp.handler.delay = 0  # slow only to kill it mid-batch: the rest need not crawl

    restarted = start_scheduler(env, tmp_path / "restarted.log")
    processes.append(restarted)
    wait_until(lambda: held <= set(smtp.received_ids()), 30, "the mail it held, at once")
    wait_until(lambda: len(set(smtp.received_ids())) >= total, 60, "every reminder")
    restarted.send_signal(signal.SIGTERM)
    assert restarted.wait(20) == 0
    duplicates = {mid: n for mid, n in smtp.received_ids().items() if n > 1}
    assert set(duplicates) <= held and sum(duplicates.values()) <= 2, duplicates
    assert "claiming mail as mail-host-1" in (tmp_path / "restarted.log").read_text()


@pytest.fixture
def sqlite_app(app_config: dict[str, Any], tmp_path: Path) -> Iterator[Flask]:
    """An app on a migrated SQLite file of its own (no app context pushed)."""
    instance = tmp_path / "sqlite-app"
    instance.mkdir()
    url = f"sqlite:///{tmp_path}/schedulers.sqlite3"
    migrate(url, instance)
    application = create_app({**app_config, "DATABASE_URL": url, "INSTANCE_PATH": str(instance)})
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_cancelling_mid_batch_with_two_schedulers_and_a_slow_server(
    database, request, smtp: SMTPServer, processes, tmp_path
):
    """Two schedulers deliver 200 reminders to a server taking 0.1 s over each; the event
    is cancelled mid-way. Nothing is sent after the cancellation commits but the one
    message each scheduler had on its way (recorded as such), the outbox says what the
    server saw, and every cancellation notice arrives after that person's reminder."""
    app = request.getfixturevalue("sqlite_app" if database == "sqlite" else "pg_app")
    total = 200
    seed(app, total)
    smtp.handler.delay = 0.1
    env = scheduler_env(
        app.config["SQLALCHEMY_DATABASE_URI"],
        smtp.port,
        tmp_path / "instance",
        CAMPAIGN_MAIL_BATCH_SIZE="20",
    )
    processes.extend(start_scheduler(env, tmp_path / f"s{n}.log") for n in (1, 2))
    wait_until(lambda: len(smtp.attempts) >= 30, 60, "30 reminders on their way")
    with app.app_context():
        event_id = db.session.scalar(select(Event.id))
        cancel_event(event_id, utcnow())
        committed = time.monotonic()
        db.session.remove()
    smtp.handler.delay = 0
    wait_until(lambda: outbox_settled(app), 60, "every notice sent and every claim released")
    with app.app_context():
        outbox = list(db.session.scalars(select(OutboxMessage)))
        db.session.remove()
    reminders = {r.message_id: r for r in outbox if r.kind == "reminder"}
    got = [a for a in smtp.received if a.message_id in reminders]
    late = [a for a in got if a.at > committed]
    assert len(late) <= 2, [round(a.at - committed, 2) for a in late]  # one per scheduler
    for attempt in late:
        row = reminders[attempt.message_id]
        assert row.status == "sent" and "already on its way" in (row.last_error or "")
    assert len(got) < total
    assert {m for m, r in reminders.items() if r.status == "sent"} == {a.message_id for a in got}
    assert {r.status for m, r in reminders.items() if r.status != "sent"} == {"cancelled"}
    assert sorted(smtp.received_ids().values()) == [1] * (len(got) + total)  # + the notices
    notices = {a.rcpt_tos: a for a in smtp.received if a.message_id not in reminders}
    assert len(notices) == total
    for attempt in got:
        assert notices[attempt.rcpt_tos].started > attempt.at, attempt.rcpt_tos
    logs = "".join((tmp_path / f"s{n}.log").read_text() for n in (1, 2))
    assert "Traceback" not in logs and "deadlock" not in logs, logs[-3000:]
