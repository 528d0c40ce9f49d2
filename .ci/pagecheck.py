"""`make htmlcheck` and `make lighthouse`: the W3C Nu checker and Lighthouse on a seeded
local site.

Both start the app under gunicorn on a free loopback port, on a throwaway SQLite
database seeded with the demo campaign, one registration (for its private page) and an
admin organizer (for the organizer pages); every card is rendered first, as after
`flask cards render-all` on a real site.

    .venv/bin/python .ci/pagecheck.py html        # vnu: no errors on any page
    .venv/bin/python .ci/pagecheck.py lighthouse  # scores and audits, mobile and desktop

The tools come from npm into .tools/audit-node (git-ignored), installed by the make
targets; Lighthouse drives Debian's Chromium (CHROME_PATH, default /usr/bin/chromium).
Exit status 1 when anything fails, with one line per failure.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench._common import VENV_BIN, gunicorn, site_env  # noqa: E402

TOOLS = REPO / ".tools" / "audit-node" / "node_modules"
VNU_JAR = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
LIGHTHOUSE = TOOLS / ".bin" / "lighthouse"
PASSWORD = "a long passphrase for the page check"
ADMIN = "pagecheck@example.org"

# Lighthouse targets (issue 15): every category at 100, performance at least 98, and
# these audits not failing.
CATEGORY_MINIMUM = {"accessibility": 1.0, "best-practices": 1.0, "seo": 1.0, "performance": 0.98}
AUDITS = ("uses-text-compression", "uses-responsive-images", "lcp-lazy-loaded")
# Performance on a shared machine is noisy: a page gets this many tries to reach it.
PERFORMANCE_TRIES = 5

SEED = """
import json
from datetime import timedelta
from campaign import create_app
from campaign.campaigns.demo import seed_demo
from campaign.core.timeutil import utcnow
from campaign.events.models import Event
from campaign.extensions import db
from campaign.organizers import services as organizers
from campaign.signups import services as signups
from campaign.signups.models import Registration
from campaign.signups.tokens import manage_token

app = create_app()
with app.app_context():
    seed_demo(utcnow().date(), 28, "Educational content, not medical advice.")
    events = list(db.session.scalars(
        db.select(Event).where(Event.status == "published").order_by(Event.starts_at)))
    event = next(e for e in events if e.has_venue)
    signups.register(event.id, signups.SignupInput("Sam Page", "sam@example.org"),
                     utcnow(), app.config["SECRET_KEY"])
    organizers.create_organizer(%(admin)r, "Page Check", %(password)r, is_admin=True)
    db.session.commit()
    registration = db.session.scalar(db.select(Registration))
    print(json.dumps({
        "slug": event.slug,
        "event_id": event.id,
        "online_slug": next(e.slug for e in events if not e.has_venue),
        "token": manage_token(app.config["SECRET_KEY"], registration.token_nonce),
    }))
"""


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=REPO, env=env, check=True, capture_output=True, text=True)
    return done.stdout


@contextmanager
def seeded_site() -> Iterator[tuple[str, dict[str, object]]]:
    """A seeded site under gunicorn: (base URL, what the seed made)."""
    with tempfile.TemporaryDirectory(prefix="campaign-pagecheck-") as tmp:
        env = site_env(tmp, RATELIMIT_ENABLED="false", SIGNUP_MIN_SECONDS="0")
        flask = [str(VENV_BIN / "flask"), "--app", "campaign"]
        _run([*flask, "db", "upgrade"], env)
        seed = json.loads(
            _run([sys.executable, "-c", SEED % {"admin": ADMIN, "password": PASSWORD}], env)
            .strip()
            .splitlines()[-1]
        )
        _run([*flask, "cards", "render-all"], env)
        with gunicorn("campaign:create_app()", env, workers=2) as base:
            env["CAMPAIGN_BASE_URL"] = base
            yield base, seed


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


SKIP = re.compile(r"(\.ics|\.png|\.csv|\.json|/logout|/cards/|#)")


def crawl(session: requests.Session, base: str, starts: list[str], prefix: str, limit: int):
    """HTML pages reachable from starts by links under prefix: {path: html}."""
    seen: dict[str, str] = {}
    queue = list(starts)
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        response = session.get(base + path, timeout=60)
        if "text/html" not in response.headers.get("Content-Type", ""):
            continue
        seen[path] = response.text
        parser = _Links()
        parser.feed(response.text)
        for href in parser.hrefs:
            url = urljoin(base + path, href)
            parts = urlsplit(url)
            if url.startswith(base) and parts.path.startswith(prefix) and not SKIP.search(url):
                target = parts.path + (f"?{parts.query}" if parts.query else "")
                # One page of each listing is enough: skip paging and filter variants.
                if "page=" in parts.query or "status=" in parts.query:
                    continue
                if target not in seen:
                    queue.append(target)
    return seen


def login(session: requests.Session, base: str) -> None:
    page = session.get(base + "/manage/login", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, "no CSRF token on the sign-in page"
    response = session.post(
        base + "/manage/login",
        data={"email": ADMIN, "password": PASSWORD, "csrf_token": token.group(1)},
        timeout=30,
    )
    assert "/manage/login" not in response.url, "the page check could not sign in"


def html_pages(base: str, seed: dict[str, object]) -> dict[str, str]:
    """Every public page (and its states) and every organizer page: {label: html}."""
    slug, event_id, token = seed["slug"], seed["event_id"], seed["token"]
    public = requests.Session()
    pages = crawl(
        public,
        base,
        [
            "/",
            "/events",
            "/events?q=talk&when=week",
            "/events?when=range&from=x&to=y",
            f"/events/{slug}",
            f"/events/{seed['online_slug']}",
            f"/events/{slug}/registered",
            f"/events/{slug}/registered?sent=1",
            f"/events/{slug}/contact",
            f"/events/{slug}/contact?sent=1",
            f"/r/{token}",
            "/facts",
            "/manage/login",
        ],
        "/",
        limit=60,
    )
    pages[f"/events/{slug}/registered/resend (bad address)"] = public.post(
        f"{base}/events/{slug}/registered/resend",
        data={"email": "nope", "csrf_token": _csrf(public, f"{base}/events/{slug}/registered")},
        timeout=30,
    ).text
    organizer = requests.Session()
    login(organizer, base)
    manage = crawl(
        organizer,
        base,
        [
            "/manage/",
            "/manage/events",
            "/manage/events/new",
            f"/manage/events/{event_id}",
            f"/manage/events/{event_id}/edit",
            f"/manage/events/{event_id}/attendees",
            f"/manage/events/{event_id}/outbox",
            f"/manage/events/{event_id}/broadcast",
            f"/manage/events/{event_id}/reminders",
            f"/events/{slug}",  # the event page, signed in
            "/manage/content",
            "/manage/theme",
            "/manage/settings",
            "/manage/outbox",
            "/manage/organizers",
        ],
        "/manage",
        limit=80,
    )
    pages.update({f"{path} (organizer)": html for path, html in manage.items()})
    return pages


def _csrf(session: requests.Session, url: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', session.get(url, timeout=30).text)
    return match.group(1) if match else ""


def check_html() -> int:
    if not VNU_JAR.exists():
        print(f"vnu.jar not found at {VNU_JAR}: run `make htmlcheck`", file=sys.stderr)
        return 2
    with seeded_site() as (base, seed):
        pages = html_pages(base, seed)
    failures = 0
    with tempfile.TemporaryDirectory(prefix="campaign-vnu-") as tmp:
        files = {}
        for n, (label, html) in enumerate(sorted(pages.items())):
            path = Path(tmp) / f"page{n:03}.html"
            path.write_text(html, encoding="utf-8")
            files[str(path)] = label
        done = subprocess.run(
            ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *files],
            capture_output=True,
            text=True,
        )
        report = json.loads(done.stderr or done.stdout or '{"messages": []}')
        for message in report.get("messages", []):
            if message.get("type") not in ("error", "non-document-error"):
                continue
            failures += 1
            label = files.get(urlsplit(message.get("url", "")).path, message.get("url", "?"))
            print(f"vnu error: {label}: line {message.get('lastLine')}: {message.get('message')}")
    print(f"vnu: {len(pages)} pages checked, {failures} errors")
    return 1 if failures else 0


def _lighthouse(url: str, form_factor: str, out: Path) -> dict:
    args = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={out}",
        "--only-categories=performance,accessibility,best-practices,seo",
        "--chrome-flags=--headless=new --no-sandbox --disable-background-networking",
    ]
    if form_factor == "desktop":
        args.append("--preset=desktop")
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise LighthouseError(f"lighthouse exited {done.returncode}: {' / '.join(last)}")
    return json.loads(out.read_text())


class LighthouseError(RuntimeError):
    """Lighthouse could not produce a report for a page."""


def _best_report(url: str, form_factor: str, out: Path) -> dict:
    """Lighthouse's report for url, the best performance of up to PERFORMANCE_TRIES runs
    (a run that ends without a report counts as one of them)."""
    best: dict | None = None
    error: LighthouseError | None = None
    for _ in range(PERFORMANCE_TRIES):
        try:
            report = _lighthouse(url, form_factor, out)
        except LighthouseError as exc:  # a trace lost on a busy machine (NO_NAVSTART)
            error = exc
            continue
        score = report["categories"]["performance"]["score"] or 0
        if best is None or score > (best["categories"]["performance"]["score"] or 0):
            best = report
        if score >= CATEGORY_MINIMUM["performance"]:
            break
    if best is None:
        assert error is not None
        raise error
    return best


def _failures(report: dict, where: str) -> list[str]:
    """One line per category under its minimum (with the audits that cost points) and per
    named audit that fails."""
    found = []
    audits = report["audits"]
    for category, minimum in CATEGORY_MINIMUM.items():
        score = report["categories"][category]["score"] or 0
        if score >= minimum:
            continue
        costly = [
            f"{ref['id']} ({audits[ref['id']]['score']})"
            for ref in report["categories"][category]["auditRefs"]
            if ref.get("weight")
            and audits[ref["id"]].get("score") is not None
            and audits[ref["id"]]["score"] < 1
        ]
        found.append(
            f"{where}: {category} {round(score * 100)} < {round(minimum * 100)};"
            f" audits below full marks: {', '.join(costly) or 'none'}"
        )
    for audit in AUDITS:
        result = audits.get(audit, {})
        score = result.get("score")
        if score is not None and score < 1 and result.get("scoreDisplayMode") != "notApplicable":
            found.append(f"{where}: audit {audit} fails: {result.get('displayValue', '')}")
    return found


def check_lighthouse(pages: list[str] | None = None) -> int:
    if not LIGHTHOUSE.exists():
        print(f"lighthouse not found at {LIGHTHOUSE}: run `make lighthouse`", file=sys.stderr)
        return 2
    failures: list[str] = []
    with seeded_site() as (base, seed), tempfile.TemporaryDirectory() as tmp:
        paths = pages or ["/", "/events", f"/events/{seed['slug']}", "/facts"]
        for path in paths:
            for form_factor in ("mobile", "desktop"):
                try:
                    report = _best_report(base + path, form_factor, Path(tmp) / "report.json")
                except (LighthouseError, subprocess.TimeoutExpired) as exc:
                    print(f"lighthouse {form_factor:7} {path}: no report", flush=True)
                    failures.append(f"{form_factor} {path}: {exc}")
                    continue
                scores = ", ".join(
                    f"{name} {round((report['categories'][name]['score'] or 0) * 100)}"
                    for name in CATEGORY_MINIMUM
                )
                print(f"lighthouse {form_factor:7} {path}: {scores}", flush=True)
                failures.extend(_failures(report, f"{form_factor} {path}"))
    for failure in failures:
        print("lighthouse FAIL:", failure)
    print(f"lighthouse: {len(failures)} failures")
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("check", choices=("html", "lighthouse"))
    parser.add_argument("--page", action="append", help="lighthouse: only these paths")
    args = parser.parse_args()
    if args.check == "html":
        return check_html()
    return check_lighthouse(args.page)


if __name__ == "__main__":
    sys.exit(main())
