"""Mail under throttling: 2,000 reminders through a loopback SMTP server that answers 451 to
10% of the messages at random (every try), delivered by two `flask scheduler` processes,
against the same 2,000 through the same server answering 250 to everything.

Each run gets a fresh migrated database (SQLite by default; --postgres URL for a scratch
database on that server, created and dropped here) and a fresh server process. The
schedulers start first; the 2,000 reminders are then queued at once and the drain time
runs from the server's first accepted message until it has accepted every one of them
(each Message-ID at least once; copies are counted and reported).

Both runs use the same settings: a delivery tick every second and temporary failures
retried after 1 second (SCHEDULER_DELIVER_SECONDS=1, MAIL_RETRY_BASE_SECONDS=1,
MAIL_RETRY_MAX_SECONDS=1), so that the figure measures how delivery goes on around
throttled messages rather than the retry policy and the timer: with the defaults (a
30-second base, doubling) the few messages answered 451 three times in a row alone
take minutes, whatever the deliverer does.
Target: the throttled drain <= 3x the unthrottled one (it was about 40x when one 451
ended a scheduler's round).

    .venv/bin/python bench/throttled.py [--messages 2000] [--rate 0.1] [--postgres URL]
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import REPO, VENV_BIN, free_port, print_table

TARGET = 3.0
SECRET_KEY = "bench-secret-key-" + "x" * 32
SCHEDULERS = 2
DEADLINE_SECONDS = 240  # per run


def _serve(port: int, rate: float, shared: dict[str, Any], ready: Any, stop: Any) -> None:
    """aiosmtpd answering 451 to `rate` of all tries at random (runs in a child process)."""
    from aiosmtpd.controller import Controller

    seen: set[bytes] = set()
    pick = random.Random(1)

    class Throttling:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with shared["tries"].get_lock():
                shared["tries"].value += 1
            if pick.random() < rate:
                return "451 4.7.1 Throttled: too many messages, try again later"
            head = bytes(envelope.original_content or envelope.content).split(b"\r\n\r\n", 1)[0]
            message_id = next(
                (line for line in head.split(b"\r\n") if line.lower().startswith(b"message-id:")),
                b"",
            )
            now = time.monotonic()
            with shared["accepted"].get_lock():
                shared["accepted"].value += 1
                if message_id not in seen:
                    seen.add(message_id)
                    shared["distinct"].value += 1
                    if shared["first"].value == 0:
                        shared["first"].value = now
                    shared["last"].value = now
            return "250 2.0.0 OK"

    controller = Controller(Throttling(), hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


class Server:
    """The SMTP server process and what it counted."""

    def __init__(self, rate: float) -> None:
        context = multiprocessing.get_context("spawn")
        self.port = free_port()
        self.shared = {
            "tries": context.Value("q", 0),
            "accepted": context.Value("q", 0),
            "distinct": context.Value("q", 0),
            "first": context.Value("d", 0.0),
            "last": context.Value("d", 0.0),
        }
        self._ready = context.Event()
        self._stop = context.Event()
        self._process = context.Process(
            target=_serve,
            args=(self.port, rate, self.shared, self._ready, self._stop),
            daemon=True,
        )

    def value(self, name: str) -> Any:
        return self.shared[name].value

    def __enter__(self) -> Server:
        self._process.start()
        if not self._ready.wait(30):
            raise RuntimeError("the SMTP server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()


@contextlib.contextmanager
def database(tmp: str, postgres: str | None) -> Iterator[str]:
    """A fresh database URL: a SQLite file in tmp, or a scratch PostgreSQL database."""
    if not postgres:
        yield f"sqlite:///{tmp}/campaign.sqlite3"
        return
    import psycopg

    admin = postgres.replace("postgresql+psycopg://", "postgresql://")
    name = f"campaign_throttled_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    try:
        yield admin.rpartition("/")[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def scheduler_env(database_url: str, instance: Path, smtp_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGN_")}
    env.pop("DATABASE_URL", None)
    env.update(
        {
            "CAMPAIGN_ENV": "development",
            "CAMPAIGN_SECRET_KEY": SECRET_KEY,
            "CAMPAIGN_DATABASE_URL": database_url,
            "CAMPAIGN_INSTANCE_PATH": str(instance),
            "CAMPAIGN_BASE_URL": "https://campaign.example.org",
            "CAMPAIGN_MAIL_BACKEND": "smtp",
            "CAMPAIGN_SMTP_HOST": "127.0.0.1",
            "CAMPAIGN_SMTP_PORT": str(smtp_port),
            "CAMPAIGN_SMTP_SECURITY": "none",
            "CAMPAIGN_SMTP_TIMEOUT": "10",
            "CAMPAIGN_SCHEDULER_DELIVER_SECONDS": "1",
            "CAMPAIGN_MAIL_RETRY_BASE_SECONDS": "1",
            "CAMPAIGN_MAIL_RETRY_MAX_SECONDS": "1",
            "CAMPAIGN_SCHEDULER_REMINDERS_SECONDS": "3600",  # the bench queues them itself
        }
    )
    return env


def _seed_and_queue(app: Any, count: int) -> None:
    """An event whose two-hour reminder is due, `count` registrants, their reminders queued."""
    from campaign.campaigns.models import Campaign
    from campaign.core.timeutil import utcnow
    from campaign.events.models import Event
    from campaign.extensions import db
    from campaign.organizers.models import Organizer
    from campaign.reminders.jobs import run_reminders
    from campaign.signups.models import Registration

    with app.app_context():
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=119)
        campaign = Campaign(
            slug="national-ketamine-day", name="National Ketamine Day",
            day=date.today() + timedelta(days=1), timezone="Europe/London",
            disclaimer="Educational content, not medical advice.",
        )  # fmt: skip
        organizer = Organizer(email="organizer@example.org", name="Organizer", role="organizer")
        db.session.add_all([campaign, organizer])
        db.session.flush()
        event = Event(
            campaign_id=campaign.id, organizer_id=organizer.id, slug="the-busy-day",
            title="The busy day", summary="A talk.", starts_at=start,
            ends_at=start + timedelta(hours=2), timezone="Europe/London", venue="Town Hall",
            city="Leeds", status="published", published_at=utcnow(), reminder_offsets=[120],
            is_thank_you_enabled=False,
        )  # fmt: skip
        db.session.add(event)
        db.session.flush()
        created = utcnow() - timedelta(days=1)
        rows = [
            {
                "event_id": event.id,
                "name": f"Person {i}",
                "email": f"person{i}@example.org",
                "status": "confirmed",
                "token_nonce": secrets.token_hex(16),
                "token_hash": secrets.token_hex(32),
                "referral_code": f"r{i:09d}",
                "is_consenting_to_updates": False,
                "is_name_on_card": False,
                "is_unsubscribed": False,
                "created_at": created,
                "confirmed_at": created,
            }
            for i in range(count)
        ]
        db.session.connection().execute(Registration.__table__.insert(), rows)
        db.session.commit()
        queued = run_reminders(utcnow())["reminders"]
        db.session.remove()
    if queued != count:
        raise RuntimeError(f"queued {queued} reminders, expected {count}")


def drain(count: int, rate: float, postgres: str | None) -> tuple[float, dict[str, int]]:
    """Seconds from the first accepted message to the last of `count`, and the counts."""
    from campaign import create_app
    from campaign.extensions import db

    with tempfile.TemporaryDirectory() as tmp, database(tmp, postgres) as url, Server(rate) as smtp:
        instance = Path(tmp) / "instance"
        instance.mkdir()
        env = scheduler_env(url, instance, smtp.port)
        subprocess.run(
            [str(VENV_BIN / "flask"), "--app", "campaign", "db", "upgrade"],
            cwd=REPO, env=env, check=True, capture_output=True,
        )  # fmt: skip
        logs = [Path(tmp) / f"scheduler-{n}.log" for n in range(SCHEDULERS)]
        schedulers = []
        for log in logs:
            with log.open("wb") as out:
                command = [str(VENV_BIN / "flask"), "--app", "campaign", "scheduler"]
                schedulers.append(
                    subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=out)
                )
        app = create_app({"ENV": "development", "SECRET_KEY": SECRET_KEY, "DATABASE_URL": url,
                          "INSTANCE_PATH": str(instance)})  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while not all("scheduler: started" in log.read_text() for log in logs):
                if time.monotonic() > deadline:
                    raise RuntimeError("the schedulers did not start")
                time.sleep(0.1)
            _seed_and_queue(app, count)
            deadline = time.monotonic() + DEADLINE_SECONDS
            while smtp.value("distinct") < count:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{smtp.value('distinct')} of {count} delivered in {DEADLINE_SECONDS} s"
                    )
                time.sleep(0.05)
        finally:
            for process in schedulers:
                process.send_signal(signal.SIGTERM)
            for process in schedulers:
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()
            with app.app_context():
                db.engine.dispose()
        counts = {name: int(smtp.value(name)) for name in ("tries", "accepted", "distinct")}
        return smtp.value("last") - smtp.value("first"), counts


def main() -> list[tuple[str, str, str, str, bool]]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=0.1, help="share of tries answered 451")
    parser.add_argument("--postgres", default="", help="a server URL to make scratch databases on")
    args = parser.parse_args()
    plain, plain_counts = drain(args.messages, 0.0, args.postgres or None)
    throttled, counts = drain(args.messages, args.rate, args.postgres or None)
    ratio = throttled / plain
    where = "PostgreSQL" if args.postgres else "SQLite"
    copies = sum(c["accepted"] - c["distinct"] for c in (counts, plain_counts))
    info = (
        f"({throttled:.1f} s vs {plain:.1f} s on {where}; {counts['tries']} tries, "
        f"{counts['tries'] - counts['accepted']} answered 451, {copies} copies)"
    )
    return [
        (
            f"mail: {args.messages:,} via 2 schedulers, {args.rate:.0%} 451 vs none",
            f"{ratio:.2f}x",
            f"<={TARGET}x",
            info,
            ratio <= TARGET and copies == 0,
        )
    ]


if __name__ == "__main__":
    rows = main()
    print_table(rows)
    sys.exit(0 if all(r[4] for r in rows) else 1)
