"""Reminder throughput: 10,000 due reminders enqueued and delivered over SMTP, against raw
smtplib sending the same 10,000 pre-built messages over one connection.

The project side runs the real jobs in-process on a migrated SQLite database (the
embedded default): run_reminders(now) turns the due reminders into outbox rows, then
run_delivery(now) claims, renders, sends and records them through the smtp backend.
The raw side sends the very messages the project built (message objects, built before
the clock starts) over one smtplib connection and nothing else. Both talk to the same
aiosmtpd server, which runs in its own process and only counts. The two sides take
turns in rounds (ten events of 1,000 registrants), so a busy machine slows both alike.
Target: the project's total <= 2x the raw total.

    .venv/bin/python bench/reminders.py [--messages 10000] [--rounds 10] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import multiprocessing
import os
import pstats
import secrets
import smtplib
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import REPO, VENV_BIN, free_port, print_table

TARGET = 2.0
SECRET_KEY = "bench-secret-key-" + "x" * 32
OFFSET = 120  # minutes: the two-hours-before reminder


def _serve(port: int, count: Any, ready: Any, stop: Any) -> None:
    """An aiosmtpd server that accepts everything and counts it (runs in a child process)."""
    from aiosmtpd.controller import Controller

    class Counting:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with count.get_lock():
                count.value += 1
            return "250 2.0.0 OK"

    controller = Controller(Counting(), hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


class CountingServer:
    """The SMTP server process; .count is how many messages it has accepted."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.port = free_port()
        self._count = context.Value("q", 0)
        self._ready = context.Event()
        self._stop = context.Event()
        self._process = context.Process(
            target=_serve, args=(self.port, self._count, self._ready, self._stop), daemon=True
        )

    @property
    def count(self) -> int:
        return int(self._count.value)

    def __enter__(self) -> CountingServer:
        self._process.start()
        if not self._ready.wait(30):
            raise RuntimeError("the SMTP server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()


def _migrate(database_url: str, instance: Path) -> None:
    env = {
        **os.environ,
        "CAMPAIGN_ENV": "development",
        "CAMPAIGN_SECRET_KEY": SECRET_KEY,
        "CAMPAIGN_DATABASE_URL": database_url,
        "CAMPAIGN_INSTANCE_PATH": str(instance),
    }
    subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "campaign", "db", "upgrade"],
        cwd=REPO, env=env, check=True, capture_output=True,
    )  # fmt: skip


def _seed(count: int, rounds: int) -> list[tuple[int, datetime]]:
    """A campaign, an organizer and `rounds` events a day apart sharing `count` confirmed
    registrations; returns (event id, the instant its reminders fall due) per event."""
    from campaign.campaigns.models import Campaign
    from campaign.core.timeutil import utcnow
    from campaign.events.models import Event
    from campaign.extensions import db
    from campaign.organizers.models import Organizer
    from campaign.signups.models import Registration

    first = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=30)
    campaign = Campaign(
        slug="national-ketamine-day", name="National Ketamine Day",
        day=date.today() + timedelta(days=30), timezone="Europe/London",
        disclaimer="Educational content, not medical advice.",
    )  # fmt: skip
    db.session.add(campaign)
    organizer = Organizer(email="organizer@example.org", name="Organizer", role="organizer")
    db.session.add(organizer)
    db.session.flush()
    plan = []
    for n in range(rounds):
        start = first + timedelta(days=n)
        event = Event(
            campaign_id=campaign.id, organizer_id=organizer.id, slug=f"bench-event-{n}",
            title=f"Bench event {n}", summary="A talk and questions.", starts_at=start,
            ends_at=start + timedelta(hours=2), timezone="Europe/London", venue="Town Hall",
            city="Leeds", country="United Kingdom", status="published", published_at=utcnow(),
            reminder_offsets=[OFFSET], is_thank_you_enabled=False,
        )  # fmt: skip
        db.session.add(event)
        db.session.flush()
        created = first - timedelta(days=10)
        rows = [
            {
                "event_id": event.id,
                "name": f"Person {n}-{i}",
                "email": f"person{n}-{i}@example.org",
                "status": "confirmed",
                "token_nonce": secrets.token_hex(16),
                "token_hash": secrets.token_hex(32),
                "referral_code": f"r{n:03d}x{i:07d}",
                "is_consenting_to_updates": False,
                "is_name_on_card": False,
                "is_unsubscribed": False,
                "created_at": created,
                "confirmed_at": created,
            }
            for i in range(count // rounds)
        ]
        db.session.connection().execute(Registration.__table__.insert(), rows)
        plan.append((event.id, start - timedelta(minutes=OFFSET)))
    db.session.commit()
    return plan


def project_round(count: int, due: datetime) -> float:
    """Seconds for run_reminders + run_delivery to get `count` reminders to the server."""
    from campaign.mail.jobs import run_delivery
    from campaign.reminders.jobs import run_reminders

    started = time.perf_counter()
    queued = run_reminders(due)["reminders"]
    sent = 0
    while sent < count:
        result = run_delivery(due)
        if result["claimed"] == 0:
            break
        sent += result["sent"]
    elapsed = time.perf_counter() - started
    if queued != count or sent != count:
        raise RuntimeError(f"queued {queued}, sent {sent}, expected {count}")
    return elapsed


def prebuilt_messages(event_id: int, sender: str, now: datetime) -> list[Any]:
    """The messages the project sent for one event, built again (outside any timing)."""
    from sqlalchemy import select

    from campaign.extensions import db
    from campaign.mail.mime import build_message
    from campaign.mail.models import OutboxMessage

    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.event_id == event_id).order_by(OutboxMessage.id)
    )
    messages = [build_message(row, sender, now) for row in rows]
    db.session.rollback()
    return messages


def raw_round(connection: smtplib.SMTP, messages: list[Any]) -> float:
    """Seconds for smtplib to send the messages over the already open connection."""
    started = time.perf_counter()
    for message in messages:
        connection.send_message(message)
    return time.perf_counter() - started


def main() -> list[tuple[str, str, str, str, bool]]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=10, help="project and raw take turns")
    parser.add_argument("--profile", action="store_true", help="cProfile the project run")
    args = parser.parse_args()
    count, rounds = args.messages, args.rounds
    per_round = count // rounds

    from campaign import create_app
    from campaign.extensions import db

    project = raw = 0.0
    with tempfile.TemporaryDirectory() as tmp, CountingServer() as server:
        database_url = f"sqlite:///{tmp}/campaign.sqlite3"
        instance = Path(tmp) / "instance"
        instance.mkdir()
        _migrate(database_url, instance)
        app = create_app(
            {
                "ENV": "development",
                "SECRET_KEY": SECRET_KEY,
                "DATABASE_URL": database_url,
                "INSTANCE_PATH": str(instance),
                "BASE_URL": "https://campaign.example.org",
                "MAIL_BACKEND": "smtp",
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": server.port,
                "SMTP_SECURITY": "none",
                "SMTP_TIMEOUT": 30,
            }
        )
        profiler = cProfile.Profile() if args.profile else None
        connection = smtplib.SMTP("127.0.0.1", server.port, timeout=30)
        with app.app_context():
            plan = _seed(per_round * rounds, rounds)
            sender = app.config["MAIL_SENDER"]
            for n, (event_id, due) in enumerate(plan):
                # Taking turns, so both sides see the same load on a shared machine.
                before = server.count
                if profiler:
                    profiler.enable()
                project += project_round(per_round, due)
                if profiler:
                    profiler.disable()
                received = server.count - before
                messages = prebuilt_messages(event_id, sender, due)
                if n == 0:
                    raw_round(connection, messages[:100])  # warm up the raw side too
                before = server.count
                raw += raw_round(connection, messages)
                del messages  # not kept alive (and walked by the GC) during the next round
                if received != per_round or server.count - before != per_round:
                    raise RuntimeError("the server did not receive every message")
            db.session.remove()
        connection.quit()
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    total = per_round * rounds
    ratio = project / raw
    row = (
        f"reminders: {total:,} enqueued + delivered (SMTP) vs raw smtplib",
        f"{ratio:.2f}x",
        f"<={TARGET}x",
        f"({project:.1f} s vs {raw:.1f} s; {total / project:.0f} vs {total / raw:.0f} msg/s)",
        ratio <= TARGET,
    )
    return [row]


if __name__ == "__main__":
    rows = main()
    print_table(rows)
    sys.exit(0 if all(r[4] for r in rows) else 1)
