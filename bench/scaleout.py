"""`make scaleout`: the production topology on one machine, and what it must guarantee.

Started here, all on loopback: a fresh PostgreSQL database (created with psycopg in
autocommit, dropped afterwards), two gunicorn instances on different ports as if behind
one proxy (PROXY_COUNT=1: the client address comes from X-Forwarded-For), rate limits in
Redis (CAMPAIGN_RATELIMIT_STORAGE_URI, its database flushed first), an SMTP server
(aiosmtpd) and two `flask scheduler` processes delivering to it. Every process has its
own instance folder, as separate hosts would: nothing may depend on one host's disk.

Checked:
1. The sign-up limit is shared: with 5 per minute, one client address gets five 303s and
   then 429, whichever instance it reaches.
2. Capacity is exact across instances: people open the event page on one instance and
   register on the other, all at once; exactly 20 of them get the 20 seats.
3. No mail twice: the event is moved so that its reminder falls due; both schedulers
   queue and deliver; every expected message arrives once (Message-IDs counted at the
   SMTP server) and nothing else arrives.
4. Uploads reach every host: an admin uploads a logo through instance A; the event card
   instance B's page points at is drawn by B with the logo (the same bytes as A draws,
   where the upload came in) and differs from the card before the upload.

    .venv/bin/python bench/scaleout.py [--people 60] [--redis-db 12]

Exits non-zero when a check fails. Bounded: the whole run takes well under 3 minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import REPO, VENV_BIN
from tests.support.gunicorn import Server, gunicorn
from tests.support.smtp import SMTPServer

SECRET_KEY = "scaleout-secret-key-" + "x" * 32
SEATS = 20
LIMIT = 5  # sign-ups per minute per client address
REMINDER_MINUTES = 120
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
DEADLINE_SECONDS = 170


# --- infrastructure ----------------------------------------------------------------------------


def _psycopg_url(url: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A scratch database on the local server, dropped afterwards (its name starts with
    BENCH_DATABASE_PREFIX, default campaign)."""
    admin = _psycopg_url(
        os.environ.get("TEST_DATABASE_URL") or os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    prefix = os.environ.get("BENCH_DATABASE_PREFIX", "campaign")
    name = f"{prefix}_scaleout_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.rpartition("/")[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def redis_database(number: int) -> Iterator[str]:
    """redis://127.0.0.1:6379/<number>, emptied before and after."""
    url = f"redis://127.0.0.1:6379/{number}"
    client = redis.Redis.from_url(url, socket_timeout=5)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


def site_env(instance: Path, database_url: str, redis_url: str, smtp_port: int) -> dict[str, str]:
    """One environment for web instances and schedulers: the settings this topology needs."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CAMPAIGN_") and k not in ("DATABASE_URL", "FLASK_APP")
    }
    env.update(
        {
            "CAMPAIGN_ENV": "development",  # plain http on loopback: no Secure-only cookies
            "CAMPAIGN_SECRET_KEY": SECRET_KEY,  # the same on every process
            "CAMPAIGN_DATABASE_URL": database_url,
            "CAMPAIGN_INSTANCE_PATH": str(instance),
            "CAMPAIGN_BASE_URL": "https://campaign.example.org",
            "CAMPAIGN_PROXY_COUNT": "1",
            "CAMPAIGN_RATELIMIT_STORAGE_URI": redis_url,
            "CAMPAIGN_SIGNUP_RATE_LIMIT": f"{LIMIT} per minute",
            "CAMPAIGN_SIGNUP_MIN_SECONDS": "0",
            "CAMPAIGN_MAIL_BACKEND": "smtp",
            "CAMPAIGN_SMTP_HOST": "127.0.0.1",
            "CAMPAIGN_SMTP_PORT": str(smtp_port),
            "CAMPAIGN_SMTP_SECURITY": "none",
            "CAMPAIGN_SMTP_TIMEOUT": "5",
            "CAMPAIGN_SCHEDULER_DELIVER_SECONDS": "1",
            "CAMPAIGN_SCHEDULER_REMINDERS_SECONDS": "1",
        }
    )
    return env


def flask(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "campaign", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def python(env: dict[str, str], script: str) -> str:
    """Run a snippet with the app's environment; its last line of output."""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"script failed:\n{result.stderr[-3000:]}")
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


@contextlib.contextmanager
def schedulers(
    runs: list[tuple[dict[str, str], Path]],
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`flask --app campaign scheduler` once per (environment, log file); stopped with
    SIGTERM after."""
    started: list[subprocess.Popen[bytes]] = []
    try:
        for env, log in runs:
            with log.open("wb") as out:
                started.append(
                    subprocess.Popen(
                        [str(VENV_BIN / "flask"), "--app", "campaign", "scheduler"],
                        cwd=REPO,
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in started:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


# --- the data ------------------------------------------------------------------------------------

SEED = """
from datetime import date, timedelta
from campaign import create_app
from campaign.campaigns.models import Campaign
from campaign.core.timeutil import utcnow
from campaign.events.models import Event
from campaign.extensions import db
from campaign.organizers.services import create_organizer

app = create_app()
with app.app_context():
    campaign = Campaign(slug="nkd", name="National Ketamine Day",
                        day=date.today() + timedelta(days=28), timezone="Europe/London",
                        disclaimer="Educational content, not medical advice.")
    db.session.add(campaign)
    db.session.flush()
    organizer = create_organizer(
        "organizer@example.org", "Organizer", "a long password here", is_admin=True
    )
    start = utcnow().replace(microsecond=0) + timedelta(days=3)
    for slug, capacity in (("the-busy-event", %(seats)d), ("the-other-event", None)):
        db.session.add(Event(
            campaign_id=campaign.id, organizer_id=organizer.id, slug=slug,
            title=slug.replace("-", " ").capitalize(), starts_at=start,
            ends_at=start + timedelta(hours=2), timezone="Europe/London", format="in_person",
            venue="Town Hall", city="Leeds", capacity=capacity, is_waitlist_enabled=True,
            status="published", published_at=utcnow(), reminder_offsets=[%(offset)d]))
    db.session.commit()
    print("ok")
"""

# The reminder falls due a moment ago: after every registration, before the grace ends.
MAKE_DUE = """
from datetime import timedelta
from sqlalchemy import update
from campaign import create_app
from campaign.core.timeutil import utcnow
from campaign.events.models import Event
from campaign.extensions import db

app = create_app()
with app.app_context():
    start = utcnow() + timedelta(minutes=%(offset)d) - timedelta(seconds=1)
    db.session.execute(update(Event).where(Event.slug == "the-busy-event")
                       .values(starts_at=start, ends_at=start + timedelta(hours=2)))
    db.session.commit()
    print("ok")
"""

COUNTS = """
import json
from sqlalchemy import func, select
from campaign import create_app
from campaign.events.models import Event
from campaign.extensions import db
from campaign.mail.models import OutboxMessage
from campaign.signups.models import Registration

app = create_app()
with app.app_context():
    registrations = db.session.execute(
        select(Event.slug, Registration.status, func.count())
        .join(Event, Event.id == Registration.event_id)
        .group_by(Event.slug, Registration.status)).all()
    outbox = db.session.execute(
        select(OutboxMessage.kind, OutboxMessage.status, func.count())
        .group_by(OutboxMessage.kind, OutboxMessage.status)).all()
    confirmed = db.session.scalars(
        select(Registration.email).join(Event, Event.id == Registration.event_id)
        .where(Event.slug == "the-busy-event", Registration.status == "confirmed")).all()
    print(json.dumps({"registrations": [list(r) for r in registrations],
                      "outbox": [list(r) for r in outbox], "confirmed": sorted(confirmed)}))
"""


# --- visitors ------------------------------------------------------------------------------------

_INPUT = re.compile(r"<input\b[^>]*>")


def hidden(page: str, name: str) -> str:
    for tag in _INPUT.findall(page):
        if f'name="{name}"' in tag:
            match = re.search(r'value="([^"]*)"', tag)
            return html.unescape(match.group(1)) if match else ""
    raise RuntimeError(f"no {name} field on the page")


@dataclass
class Answer:
    email: str
    status: int
    opened_on: str
    posted_to: str


def sign_up(opened_on: str, posted_to: str, slug: str, email: str, address: str) -> Answer:
    """Open the event page on one instance and register on another, as one browser."""
    headers = {"X-Forwarded-For": address}
    with requests.Session() as browser:
        page = browser.get(f"{opened_on}/events/{slug}", headers=headers, timeout=60)
        page.raise_for_status()
        response = browser.post(
            f"{posted_to}/events/{slug}/register",
            data={
                "started": hidden(page.text, "started"),
                "ref": "",
                "website": "",
                "name": "Visitor " + email.split("@")[0],
                "email": email,
            },
            headers=headers,
            allow_redirects=False,
            timeout=60,
        )
    return Answer(email, response.status_code, opened_on, posted_to)


def wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return condition()


# --- the run -------------------------------------------------------------------------------------


class Checks:
    def __init__(self) -> None:
        self.lines: list[tuple[bool, str]] = []

    def check(self, ok: bool, text: str) -> None:
        self.lines.append((ok, text))
        print(f"  {'PASS' if ok else 'FAIL'}  {text}", flush=True)

    @property
    def ok(self) -> bool:
        return bool(self.lines) and all(ok for ok, _ in self.lines)


def run(args: argparse.Namespace, checks: Checks) -> None:
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="scaleout-") as tmp_name,
        postgres_database() as database_url,
        redis_database(args.redis_db) as redis_url,
        SMTPServer() as smtp,
    ):
        tmp = Path(tmp_name)
        # One instance folder per process, as on separate hosts.
        envs = {}
        for name in ("setup", "web-a", "web-b", "scheduler-1", "scheduler-2"):
            instance = tmp / f"instance-{name}"
            instance.mkdir()
            envs[name] = site_env(instance, database_url, redis_url, smtp.port)
        env = envs["setup"]
        flask(env, "db", "upgrade")
        python(env, SEED % {"seats": SEATS, "offset": REMINDER_MINUTES})
        with (
            gunicorn(envs["web-a"], tmp / "web-a.log", workers=2) as web_a,
            gunicorn(envs["web-b"], tmp / "web-b.log", workers=2) as web_b,
            schedulers(
                [
                    (envs["scheduler-1"], tmp / "scheduler-1.log"),
                    (envs["scheduler-2"], tmp / "scheduler-2.log"),
                ]
            ) as procs,
        ):
            webs: list[Server] = [web_a, web_b]
            print(
                f"web A {web_a.url}, web B {web_b.url}, SMTP 127.0.0.1:{smtp.port}, "
                f"{redis_url}, 2 schedulers (pids {procs[0].pid}, {procs[1].pid})"
            )
            print(f"setup {time.monotonic() - started:.0f} s", flush=True)

            # 1. One client address, alternating instances: five in, then refused.
            limited = [
                sign_up(
                    webs[n % 2].url,
                    webs[n % 2].url,
                    "the-other-event",
                    f"limited{n}@example.org",
                    "203.0.113.9",
                )
                for n in range(LIMIT + 2)
            ]
            statuses = [a.status for a in limited]
            checks.check(
                statuses == [303] * LIMIT + [429, 429],
                f"rate limit shared by both instances: {LIMIT} per minute from one address "
                f"answered {statuses} (A, B, A, ...)",
            )

            # 2. Everyone at once, page on one instance and form to the other.
            emails = [f"person{n:03d}@example.org" for n in range(args.people)]
            with ThreadPoolExecutor(max_workers=20) as pool:
                answers = list(
                    pool.map(
                        lambda n: sign_up(
                            webs[n % 2].url,
                            webs[(n + 1) % 2].url,
                            "the-busy-event",
                            emails[n],
                            f"10.{n // 250}.{n % 250}.1",
                        ),
                        range(args.people),
                    )
                )
            counts = Counter(a.status for a in answers)
            checks.check(
                counts == Counter({303: args.people}),
                f"{args.people} simultaneous sign-ups across both instances: "
                f"answers {dict(counts)}",
            )
            state = json_of(python(env, COUNTS))
            busy = {s: n for slug, s, n in state["registrations"] if slug == "the-busy-event"}
            checks.check(
                busy == {"confirmed": SEATS, "waitlisted": args.people - SEATS},
                f"capacity exact across instances: {busy} for {SEATS} seats",
            )

            # 3. The reminder falls due; both schedulers race for it.
            time.sleep(1.1)  # every registration is now older than the reminder's due time
            python(env, MAKE_DUE % {"offset": REMINDER_MINUTES})
            expected = LIMIT + args.people + SEATS  # confirmations/waitlisted + reminders
            remaining = DEADLINE_SECONDS - (time.monotonic() - started)
            wait_until(lambda: len(smtp.received) >= expected, max(10.0, remaining - 20))
            time.sleep(3)  # time for a duplicate to show up, if there were one
            ids = smtp.received_ids()
            twice = {mid: n for mid, n in ids.items() if n > 1}
            checks.check(
                not twice, f"no message delivered twice ({len(twice)} Message-IDs seen again)"
            )
            checks.check(
                len(ids) == expected and None not in ids,
                f"every expected message arrived: {len(ids)} distinct of {expected} expected "
                f"({LIMIT + args.people} sign-up mails + {SEATS} reminders)",
            )
            state = json_of(python(env, COUNTS))
            outbox = {f"{kind}/{status}": n for kind, status, n in state["outbox"]}
            checks.check(
                outbox.get("reminder/sent") == SEATS
                and sum(n for key, n in outbox.items() if key.endswith("/sent")) == expected,
                f"outbox: {outbox}",
            )
            per_person = Counter(r for a in smtp.received for r in a.rcpt_tos)
            confirmed = set(state["confirmed"])
            checks.check(
                all(per_person[e] == (2 if e in confirmed else 1) for e in emails),
                "each confirmed person got a confirmation and one reminder, each waitlisted "
                "person one waitlist mail",
            )
            for process in procs:
                checks.check(process.poll() is None, f"scheduler {process.pid} still running")

            # 4. A logo uploaded through A is on the cards B draws.
            check_logo_everywhere(checks, web_a.url, web_b.url, tmp)
        logs = {p.name: p.read_text(errors="replace") for p in tmp.glob("*.log")}
        for name in ("scheduler-1.log", "scheduler-2.log"):
            text = logs.get(name, "")
            sent = sum(int(n) for n in re.findall(r"job deliver: claimed \d+, sent (\d+)", text))
            queued = sum(int(n) for n in re.findall(r"job reminders: reminders (\d+)", text))
            print(f"  {name[:-4]}: delivered {sent} messages, queued {queued} reminders")
        problems = [name for name, text in logs.items() if "Traceback" in text]
        checks.check(not problems, f"no traceback in the server and scheduler logs {problems}")
    print(f"run took {time.monotonic() - started:.0f} s")


def _card_key(page: str) -> str:
    match = re.search(r"/cards/([0-9a-f]{32})\.png", page)
    if match is None:
        raise RuntimeError("the event page points at no card")
    return match.group(1)


def _logo_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (240, 120), (200, 30, 90)).save(out, "PNG")
    return out.getvalue()


def check_logo_everywhere(checks: Checks, web_a: str, web_b: str, tmp: Path) -> None:
    """Upload a logo through A as the admin; B's event card must carry it."""
    page = "/events/the-other-event"
    before = _card_key(requests.get(web_b + page, timeout=60).text)
    with requests.Session() as admin:
        login = admin.get(f"{web_a}/manage/login", timeout=60).text
        answer = admin.post(
            f"{web_a}/manage/login",
            data={
                "csrf_token": hidden(login, "csrf_token"),
                "email": "organizer@example.org",
                "password": "a long password here",
            },
            allow_redirects=False,
            timeout=60,
        )
        theme = admin.get(f"{web_a}/manage/theme", timeout=60).text
        upload = admin.post(
            f"{web_a}/manage/theme/logo",
            data={"csrf_token": hidden(theme, "csrf_token")},
            files={"logo": ("logo.png", _logo_png(), "image/png")},
            allow_redirects=False,
            timeout=60,
        )
    checks.check(
        answer.status_code == 302 and upload.status_code == 303,
        f"admin signed in on A ({answer.status_code}) and uploaded a logo ({upload.status_code})",
    )
    after = _card_key(requests.get(web_b + page, timeout=60).text)
    drawn_by_b = requests.get(f"{web_b}/cards/{after}.png", timeout=120)
    drawn_by_a = requests.get(f"{web_a}/cards/{after}.png", timeout=120)
    b_has_logo = any((tmp / "instance-web-b" / "uploads" / "logo").glob("*"))
    checks.check(
        after != before
        and drawn_by_b.status_code == drawn_by_a.status_code == 200
        and drawn_by_b.content == drawn_by_a.content
        and b_has_logo,
        "a logo uploaded through A is on the card B draws (same PNG as A's, "
        f"B cached the upload from the database: {b_has_logo})",
    )


def json_of(text: str) -> dict:
    return json.loads(text)


def _out_of_time(signum: int, frame: object) -> None:
    raise TimeoutError(f"the run took longer than {DEADLINE_SECONDS + 30} s")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=60, help="sign-ups for the 20 seats")
    parser.add_argument("--redis-db", type=int, default=12, help="flushed before and after")
    args = parser.parse_args()
    checks = Checks()
    # A hard stop that still runs every clean-up (processes, database, Redis).
    signal.signal(signal.SIGALRM, _out_of_time)
    signal.alarm(DEADLINE_SECONDS + 30)
    try:
        run(args, checks)
    except Exception as exc:
        checks.check(False, f"the run stopped: {type(exc).__name__}: {exc}")
    finally:
        signal.alarm(0)
    print("scale-out: " + ("PASS" if checks.ok else "FAIL"))
    return 0 if checks.ok else 1


if __name__ == "__main__":
    sys.exit(main())
