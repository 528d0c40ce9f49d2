"""Configuration: code defaults, then instance/config.py, then CAMPAIGN_* environment variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

REPO_ROOT = Path(__file__).resolve().parent.parent

DEFAULTS: dict[str, Any] = {
    # "development", "testing" or "production". Anything but development/testing is production.
    "ENV": "production",
    "SECRET_KEY": None,
    # DATABASE_URL wins over SQLALCHEMY_DATABASE_URI; empty means SQLite in instance/.
    "DATABASE_URL": None,
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    # Absolute links (mail, calendar, share cards) are built from this, never from Host.
    "BASE_URL": "http://127.0.0.1:5000",
    "TRUSTED_HOSTS": None,
    # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    "PROXY_COUNT": 0,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    "LOGIN_RATE_LIMIT": "5 per 15 minutes",
    "SIGNUP_RATE_LIMIT": "10 per 10 minutes",
    # A registration form sent back faster than this is treated as a bot.
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
    "MAIL_LEASE_SECONDS": 120,
    # Messages covered by one lease renewal and recorded in one transaction; a deliverer
    # killed mid-batch may re-send up to this many. 1 = renew and record per message.
    "MAIL_RENEW_GROUP": 10,
    "MAIL_MAX_ATTEMPTS": 8,
    # Reminders: how late a reminder may still go out after downtime.
    "REMINDER_GRACE_SHORT_MINUTES": 60,
    "REMINDER_GRACE_LONG_MINUTES": 360,
    "THANK_YOU_DELAY_MINUTES": 120,
    # Scheduler intervals, in seconds.
    "SCHEDULER_DELIVER_SECONDS": 5,
    "SCHEDULER_REMINDERS_SECONDS": 60,
    "SCHEDULER_HOUSEKEEPING_SECONDS": 24 * 3600,
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    "PERMANENT_SESSION_LIFETIME": 12 * 3600,
    "ORGANIZER_SESSION_HOURS": 12,
    "INVITE_VALID_HOURS": 72,
    "EVENTS_PER_PAGE": 12,
    # Demo seeding: the campaign day is this many days after the day the seed runs.
    "DEMO_DAY_OFFSET_DAYS": 28,
    "DEFAULT_DISCLAIMER": (
        "Educational content, not medical advice. "
        "Talk to a healthcare provider about your own situation."
    ),
}

_ENV_ALIASES = {"DATABASE_URL": "DATABASE_URL"}


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
    engine_options.setdefault("pool_pre_ping", True)
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        engine_options.setdefault("connect_args", {"timeout": 30})
    cfg["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options

    cfg["BASE_URL"] = str(cfg["BASE_URL"]).rstrip("/")
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
