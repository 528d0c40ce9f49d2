"""Configuration: code defaults, then instance/config.py, then CAMPAIGN_* environment variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from campaign.i18n.markers import N_

REPO_ROOT = Path(__file__).resolve().parent.parent

DEFAULTS: dict[str, Any] = {
    # "development", "testing" or "production". Anything but development/testing is production.
    "ENV": "production",
    "SECRET_KEY": None,
    # Old secret keys still accepted (sessions, form tokens, manage and unsubscribe links)
    # while a rotation settles; see README "Rotating the secret key".
    "SECRET_KEY_FALLBACKS": [],
    # DATABASE_URL wins over SQLALCHEMY_DATABASE_URI; empty means SQLite in instance/.
    "DATABASE_URL": None,
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "DATABASE_CONNECT_TIMEOUT": 10,  # seconds (PostgreSQL; see _derive below)
    # Absolute links (mail, calendar, share cards) are built from this, never from Host.
    # Required in production; in development, unset means "where the dev server serves".
    "BASE_URL": None,
    "TRUSTED_HOSTS": None,
    # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    "PROXY_COUNT": 0,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    # Sign-in attempts (the README's settings table says why these numbers): per account
    # from one address, or from one browser that has signed in to it before; per address
    # whatever the account; per account from browsers never used with it.
    "LOGIN_RATE_LIMIT": "5 per 15 minutes",
    "LOGIN_ADDRESS_RATE_LIMIT": "30 per 15 minutes",
    "LOGIN_ACCOUNT_RATE_LIMIT": "30 per hour",
    # Browsers that signed in to an account are remembered (a signed cookie) this long.
    "LOGIN_KNOWN_BROWSER_DAYS": 180,
    # Sign-ups: form submissions per client address (mistakes and second steps included);
    # sign-ups per event from one address; sign-ups from one address over all events;
    # sign-ups naming one email address. High enough for a crowd on one venue wifi.
    "SIGNUP_RATE_LIMIT": "120 per minute; 1000 per hour",
    "SIGNUP_EVENT_RATE_LIMIT": "60 per minute; 300 per hour",
    "SIGNUP_MAIL_RATE_LIMIT": "400 per hour",
    "SIGNUP_EMAIL_RATE_LIMIT": "8 per hour; 24 per day",
    # "Send the mail again" requests: per client address, and per email address asked for.
    "SIGNUP_RESEND_RATE_LIMIT": "10 per hour; 30 per day",
    "SIGNUP_RESEND_EMAIL_RATE_LIMIT": "3 per hour; 6 per day",
    # Messages to an event's host: per client address, and per event from everyone.
    "CONTACT_RATE_LIMIT": "5 per hour; 20 per day",
    "CONTACT_EVENT_RATE_LIMIT": "30 per day",
    # A registration form sent back faster than this (seconds, fractions allowed) after
    # it was shown gets a second step: the person confirms with one click.
    "SIGNUP_MIN_SECONDS": 3,
    # Registrant data is anonymised this many days after the event ends.
    "RETENTION_DAYS": 90,
    # Mail: "file" writes .eml files under instance/mail/, "console" logs them.
    "MAIL_BACKEND": "file",
    "MAIL_SENDER": "National Ketamine Day <no-reply@campaign.invalid>",
    "MAIL_FILE_DIR": None,
    "SMTP_HOST": "localhost",
    "SMTP_PORT": 587,
    "SMTP_SECURITY": "starttls",
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    "SMTP_TIMEOUT": 20,
    "MAIL_BATCH_SIZE": 100,
    # A deliverer renews its claim while it works; a killed one's mail is free again
    # after this long.
    "MAIL_LEASE_SECONDS": 30,
    # A message answered with temporary failures is retried after 30 s, doubling up to
    # 2 hours (jittered), and failed after MAIL_MAX_ATTEMPTS tries: at least 24 hours
    # with these defaults. Outages of the server itself never count against a message.
    "MAIL_MAX_ATTEMPTS": 32,
    "MAIL_RETRY_BASE_SECONDS": 30,
    "MAIL_RETRY_MAX_SECONDS": 7200,
    # The outbox, the dashboard and /healthz/mail say mail is stuck when messages have
    # been due this long and nothing was delivered meanwhile.
    "MAIL_STUCK_MINUTES": 15,
    # This scheduler's name, unique among the schedulers and the same across restarts
    # (e.g. the host name): a restarted scheduler takes back its mail at once. Empty:
    # a random one per start.
    "SCHEDULER_ID": "",
    # Reminders: how late a reminder may still go out after downtime.
    "REMINDER_GRACE_SHORT_MINUTES": 60,
    "REMINDER_GRACE_LONG_MINUTES": 360,
    "THANK_YOU_DELAY_MINUTES": 120,
    # Scheduler intervals, in seconds.
    "SCHEDULER_DELIVER_SECONDS": 5,
    "SCHEDULER_REMINDERS_SECONDS": 60,
    "SCHEDULER_NOTIFICATIONS_SECONDS": 60,
    "SCHEDULER_HOUSEKEEPING_SECONDS": 24 * 3600,
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    "PERMANENT_SESSION_LIFETIME": 12 * 3600,
    "ORGANIZER_SESSION_HOURS": 12,
    "INVITE_VALID_HOURS": 72,
    "EVENTS_PER_PAGE": 12,
    # Demo seeding: the campaign day is this many days after the day the seed runs.
    "DEMO_DAY_OFFSET_DAYS": 28,
    # The languages pages, mail and cards are offered in (each has a catalog under
    # translations/), and the one for a visitor whose browser asks for none of them.
    "LANGUAGES": ["en", "es"],
    "DEFAULT_LOCALE": "en",
    # Marked for the catalog: pages show it (and a campaign that kept it) translated.
    "DEFAULT_DISCLAIMER": N_(
        "Educational content, not medical advice. "
        "Talk to a healthcare provider about your own situation."
    ),
}


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill app.config from defaults, instance/config.py, the environment and test_config."""
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        if os.environ.get("DATABASE_URL") and not os.environ.get("CAMPAIGN_DATABASE_URL"):
            app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]
        app.config.from_prefixed_env("CAMPAIGN")
    else:
        app.config.from_mapping(test_config)
    _derive(app)


def _derive(app: Flask) -> None:
    """Settings that follow from others: database URI, cookies, the secret key."""
    cfg = app.config
    env = str(cfg["ENV"]).lower()
    cfg["ENV"] = env
    cfg["TESTING"] = cfg.get("TESTING", False) or env == "testing"
    is_production = env not in ("development", "testing")
    cfg["IS_PRODUCTION"] = is_production

    url = cfg.get("DATABASE_URL") or cfg.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        url = "sqlite:///" + os.path.join(app.instance_path, "campaign.sqlite3")
    cfg["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)
    engine_options = dict(cfg.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        engine_options.setdefault("pool_pre_ping", True)
        engine_options.setdefault("connect_args", {"timeout": 30})
    # PostgreSQL: no ping on every checkout (a round trip on every request); a pooled
    # connection is checked as campaign.core.database.check_on_checkout says. A server that
    # does not answer at all (a dropped packet, not a refusal) fails a connection after
    # DATABASE_CONNECT_TIMEOUT seconds instead of the system's TCP timeout of minutes, so
    # a request, the scheduler or gunicorn's warm-up before forking never hangs on it; a
    # connect_timeout in the URL itself wins.
    elif "connect_timeout=" not in cfg["SQLALCHEMY_DATABASE_URI"]:
        connect_args = dict(engine_options.get("connect_args") or {})
        connect_args.setdefault("connect_timeout", int(cfg["DATABASE_CONNECT_TIMEOUT"]))
        engine_options["connect_args"] = connect_args
    cfg["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options

    _base_url(cfg, app.instance_path, is_production)
    hosts = cfg.get("TRUSTED_HOSTS")
    if isinstance(hosts, str):
        cfg["TRUSTED_HOSTS"] = [h.strip() for h in hosts.split(",") if h.strip()]

    if is_production:
        cfg["SESSION_COOKIE_NAME"] = "__Host-session"
        cfg["SESSION_COOKIE_SECURE"] = True
        cfg["PREFERRED_URL_SCHEME"] = "https"
    cfg["SESSION_COOKIE_HTTPONLY"] = True
    cfg["SESSION_COOKIE_SAMESITE"] = "Lax"
    cfg["REMEMBER_COOKIE_HTTPONLY"] = True

    if not cfg.get("SECRET_KEY"):
        if is_production:
            raise RuntimeError(
                "CAMPAIGN_SECRET_KEY is not set. The app refuses to start in production "
                "without a secret key: set CAMPAIGN_SECRET_KEY to a long random value "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        cfg["SECRET_KEY"] = _development_secret(app.instance_path)
    cfg["SECRET_KEY_FALLBACKS"] = secret_key_fallbacks(cfg.get("SECRET_KEY_FALLBACKS"))
    # Flask checks sessions against the fallbacks itself; Flask-WTF signs with the last key
    # of a list and accepts any of them.
    cfg.setdefault("WTF_CSRF_SECRET_KEY", [*cfg["SECRET_KEY_FALLBACKS"], cfg["SECRET_KEY"]])


def secret_key_fallbacks(value: Any) -> list[str]:
    """The old keys as a list: one key as a plain string, several as a JSON list."""
    if not value:
        return []
    items = [value] if isinstance(value, str | int | float) else list(value)
    return [str(item) for item in items if str(item)]


# The address links use in development when BASE_URL is unset and no dev server has run.
DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"
# instance/<this>: the address `flask devserver` (make run) last served on.
SERVED_URL_FILE = "devserver_url"


def _base_url(cfg: Any, instance_path: str, is_production: bool) -> None:
    """BASE_URL as set; unset: refused in production, the dev server's address otherwise.

    BASE_URL_FOLLOWS_SERVER says whether the dev server may point links at itself.
    """
    url = str(cfg.get("BASE_URL") or "").strip().rstrip("/")
    cfg["BASE_URL_FOLLOWS_SERVER"] = not url and not is_production
    if not url:
        if is_production:
            raise RuntimeError(
                "CAMPAIGN_BASE_URL is not set. The app refuses to start in production "
                "without it: every link in mail, calendars and share cards is built from it "
                "(never from the request's Host header). Set it to the public address, "
                "e.g. CAMPAIGN_BASE_URL=https://ketamineday.example.org."
            )
        url = last_served_url(instance_path) or DEVELOPMENT_BASE_URL
    parts = urlsplit(url)
    try:
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is not a number
        valid = False
    if not valid or parts.query or parts.fragment:
        raise RuntimeError(
            f"CAMPAIGN_BASE_URL must be an absolute http(s) address such as "
            f"https://ketamineday.example.org, not {url!r}."
        )
    cfg["BASE_URL"] = url


def last_served_url(instance_path: str) -> str | None:
    """The address the development server last served on, if it has run here."""
    try:
        url = (Path(instance_path) / SERVED_URL_FILE).read_text().strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return url if url.startswith(("http://", "https://")) else None


def _development_secret(instance_path: str) -> str:
    """A random key kept in instance/ so development sessions survive restarts."""
    path = Path(instance_path) / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


def normalise_database_url(url: str) -> str:
    """Map the usual postgres:// spellings onto the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
