"""Configuration: defaults < instance/config.py < CAMPAIGN_* env, URLs, cookies, hosts."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from campaign import create_app
from campaign.config import DEFAULTS, SERVED_URL_FILE, normalise_database_url
from campaign.core.urls import absolute_url
from campaign.extensions import db
from tests.core.support import csrf_login, with_config


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No CAMPAIGN_* or DATABASE_URL from the caller's shell; an empty instance folder."""
    for name in list(os.environ):
        if name.startswith("CAMPAIGN_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    instance = tmp_path / "instance"
    instance.mkdir()
    monkeypatch.setenv("CAMPAIGN_INSTANCE_PATH", str(instance))
    return instance


@pytest.fixture
def build() -> Iterator[Callable[[], Flask]]:
    """create_app() the way gunicorn calls it (no test config); engines disposed after."""
    made: list[Flask] = []

    def make() -> Flask:
        application = create_app()
        made.append(application)
        return application

    yield make
    for application in made:
        with application.app_context():
            db.engine.dispose()


def test_order_defaults_then_instance_file_then_env(clean_env, build, monkeypatch):
    (clean_env / "config.py").write_text(
        "ENV = 'development'\n"
        "SECRET_KEY = 'from-the-instance-file'\n"
        "EVENTS_PER_PAGE = 20\n"
        "BASE_URL = 'https://file.example.org/'\n"
        "INVITE_VALID_HOURS = 48\n"
    )
    monkeypatch.setenv("CAMPAIGN_BASE_URL", "https://env.example.org")
    monkeypatch.setenv("CAMPAIGN_INVITE_VALID_HOURS", "24")

    app = build()

    assert app.instance_path == str(clean_env)
    # Code default: set nowhere else.
    assert app.config["LOGIN_RATE_LIMIT"] == DEFAULTS["LOGIN_RATE_LIMIT"]
    # The instance file beats the default.
    assert app.config["EVENTS_PER_PAGE"] == 20
    assert app.config["SECRET_KEY"] == "from-the-instance-file"
    # The environment beats the file (and is parsed: "24" becomes an int).
    assert app.config["BASE_URL"] == "https://env.example.org"
    assert app.config["INVITE_VALID_HOURS"] == 24
    assert app.config["ENV"] == "development"
    assert app.config["IS_PRODUCTION"] is False
    # With no database configured, SQLite in the instance folder.
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///" + str(
        clean_env / "campaign.sqlite3"
    )


def test_instance_file_alone_applies_and_trailing_slash_dropped(clean_env, build):
    (clean_env / "config.py").write_text(
        "ENV = 'development'\nBASE_URL = 'https://file.example.org/'\nEVENTS_PER_PAGE = 7\n"
    )
    app = build()
    assert app.config["BASE_URL"] == "https://file.example.org"
    assert app.config["EVENTS_PER_PAGE"] == 7


def test_test_config_is_used_instead_of_file_and_env(clean_env, build, monkeypatch, tmp_path):
    (clean_env / "config.py").write_text("EVENTS_PER_PAGE = 20\n")
    monkeypatch.setenv("CAMPAIGN_EVENTS_PER_PAGE", "30")
    app = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "x",
            "DATABASE_URL": "sqlite:///" + str(tmp_path / "t.sqlite3"),
            "EVENTS_PER_PAGE": 5,
        }
    )
    assert app.config["EVENTS_PER_PAGE"] == 5
    assert app.config["TESTING"] is True


def test_database_url_is_accepted(clean_env, build, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_ENV", "development")
    monkeypatch.setenv("DATABASE_URL", "postgres://app:pw@db.internal:5432/campaign")
    app = build()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        "postgresql+psycopg://app:pw@db.internal:5432/campaign"
    )
    with app.app_context():
        assert db.engine.dialect.name == "postgresql"
        assert db.engine.dialect.driver == "psycopg"


def test_campaign_database_url_wins_over_database_url(clean_env, build, monkeypatch, tmp_path):
    monkeypatch.setenv("CAMPAIGN_ENV", "development")
    monkeypatch.setenv("DATABASE_URL", "postgres://app@db.internal/campaign")
    wanted = "sqlite:///" + str(tmp_path / "wins.sqlite3")
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", wanted)
    app = build()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == wanted


def test_database_url_from_env_beats_instance_file(clean_env, build, monkeypatch):
    (clean_env / "config.py").write_text(
        "ENV = 'development'\nDATABASE_URL = 'sqlite:////nowhere/file.sqlite3'\n"
    )
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db.internal/campaign")
    app = build()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://app@db.internal/campaign"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@h:5432/d", "postgresql+psycopg://u:p@h:5432/d"),
        ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:///x.sqlite3", "sqlite:///x.sqlite3"),
    ],
)
def test_normalise_database_url(given, expected):
    assert normalise_database_url(given) == expected


def test_production_without_secret_key_refuses_to_start(clean_env, build, monkeypatch):
    # ENV defaults to production; nothing sets a secret key.
    monkeypatch.setenv("CAMPAIGN_BASE_URL", "https://ketamineday.example.org")
    with pytest.raises(RuntimeError, match="CAMPAIGN_SECRET_KEY is not set") as info:
        build()
    assert "production" in str(info.value)


@pytest.mark.parametrize("env", ["production", "staging"])
def test_empty_secret_key_outside_development_refuses_to_start(clean_env, build, monkeypatch, env):
    monkeypatch.setenv("CAMPAIGN_ENV", env)
    monkeypatch.setenv("CAMPAIGN_SECRET_KEY", "")
    monkeypatch.setenv("CAMPAIGN_BASE_URL", "https://ketamineday.example.org")
    with pytest.raises(RuntimeError, match="CAMPAIGN_SECRET_KEY"):
        build()


def test_production_with_secret_key_from_env_starts(clean_env, build, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_SECRET_KEY", "s" * 48)
    monkeypatch.setenv("CAMPAIGN_BASE_URL", "https://ketamineday.example.org/")
    app = build()
    assert app.config["IS_PRODUCTION"] is True
    assert app.config["SECRET_KEY"] == "s" * 48
    assert app.config["BASE_URL"] == "https://ketamineday.example.org"
    assert not (clean_env / "secret_key").exists()


@pytest.mark.parametrize("env", ["production", "staging"])
def test_production_without_base_url_refuses_to_start(clean_env, build, monkeypatch, env):
    """No silent fallback to a loopback address that every mailed link would carry."""
    monkeypatch.setenv("CAMPAIGN_ENV", env)
    monkeypatch.setenv("CAMPAIGN_SECRET_KEY", "s" * 48)
    # Even where a development server once ran: production never follows it.
    (clean_env / SERVED_URL_FILE).write_text("http://127.0.0.1:5001\n")
    with pytest.raises(RuntimeError, match="CAMPAIGN_BASE_URL is not set") as info:
        build()
    assert "production" in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "ketamineday.example.org",
        "ftp://ketamineday.example.org",
        "https://",
        "http://127.0.0.1:port",
        "https://ketamineday.example.org/?ref=1",
    ],
)
def test_a_base_url_that_is_not_an_http_address_is_refused(clean_env, build, monkeypatch, url):
    monkeypatch.setenv("CAMPAIGN_ENV", "development")
    monkeypatch.setenv("CAMPAIGN_BASE_URL", url)
    with pytest.raises(RuntimeError, match="CAMPAIGN_BASE_URL must be an absolute http"):
        build()


def test_development_links_follow_the_address_the_dev_server_served(clean_env, build):
    """instance/config.py as `make run` writes it; no BASE_URL anywhere."""
    (clean_env / "config.py").write_text('ENV = "development"\n')
    app = build()
    assert app.config["BASE_URL"] == "http://127.0.0.1:5000"  # no dev server has run yet
    assert app.config["BASE_URL_FOLLOWS_SERVER"] is True

    (clean_env / SERVED_URL_FILE).write_text("http://127.0.0.1:5001\n")
    app = build()
    assert app.config["BASE_URL"] == "http://127.0.0.1:5001"
    with app.app_context():
        assert absolute_url("events.index") == "http://127.0.0.1:5001/events"


def test_a_base_url_that_is_set_wins_over_the_dev_server(clean_env, build, monkeypatch):
    (clean_env / "config.py").write_text('ENV = "development"\n')
    (clean_env / SERVED_URL_FILE).write_text("http://127.0.0.1:5001\n")
    monkeypatch.setenv("CAMPAIGN_BASE_URL", "https://tunnel.example.net")
    app = build()
    assert app.config["BASE_URL"] == "https://tunnel.example.net"
    assert app.config["BASE_URL_FOLLOWS_SERVER"] is False


def test_development_makes_and_keeps_a_secret_key(clean_env, build, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_ENV", "development")
    first = build().config["SECRET_KEY"]
    second = build().config["SECRET_KEY"]
    assert first and len(first) >= 32
    assert first == second
    assert (clean_env / "secret_key").read_text().strip() == first


@with_config(ENV="production", WTF_CSRF_ENABLED=True)
def test_production_session_cookie(app, client, make_organizer):
    organizer = make_organizer()
    response = csrf_login(client, organizer.email, base_url="https://campaign.example.org")
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = [c for c in cookies if c.startswith("__Host-session=")]
    assert session_cookie, cookies
    attributes = [a.strip().lower() for a in session_cookie[0].split(";")[1:]]
    assert "secure" in attributes
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes
    assert not any(a.startswith("domain=") for a in attributes)  # required by __Host-
    # The cookie signs the organizer in on the next request over HTTPS.
    page = client.get("/manage/", base_url="https://campaign.example.org")
    assert page.status_code == 200
    assert "Strict-Transport-Security" in page.headers


def test_development_cookie_is_http_friendly(app, client, make_organizer):
    """Outside production the cookie works over plain http (no Secure, no __Host-)."""
    organizer = make_organizer()
    response = csrf_login(client, organizer.email)
    cookies = response.headers.getlist("Set-Cookie")
    assert any(
        c.startswith("session=") and "HttpOnly" in c and "SameSite=Lax" in c for c in cookies
    )
    assert client.get("/manage/").status_code == 200


def test_invite_link_uses_base_url_not_the_host_header(app, client, make_organizer):
    admin = make_organizer(admin=True)
    forged = "http://evil.example"  # the Host header (and cookie domain) of every request
    assert csrf_login(client, admin.email, base_url=forged).status_code == 302
    response = client.post(
        "/manage/organizers/invite",
        data={"name": "Bea", "email": "bea@example.org"},
        base_url=forged,
        headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_data(as_text=True)
    match = re.search(r'id="invite-link"[^>]*value="([^"]+)"', body)
    assert match, "no invite link on the page"
    assert match.group(1).startswith("https://campaign.example.org/manage/invite/"), match.group(1)
    assert "evil.example" not in body


@with_config(TRUSTED_HOSTS=["campaign.example.org"])
def test_trusted_hosts_rejects_unknown_host(app, client):
    ok = client.get("/", base_url="https://campaign.example.org")
    assert ok.status_code == 200
    bad = client.get("/", headers={"Host": "evil.example"})
    assert bad.status_code == 400
    body = bad.get_data(as_text=True)
    assert "Traceback" not in body
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400
    # Unknown Host on a login POST is refused before anything else happens.
    assert client.post("/manage/login", headers={"Host": "evil.example"}).status_code == 400


def test_trusted_hosts_from_env_is_a_list(clean_env, build, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_ENV", "development")
    monkeypatch.setenv("CAMPAIGN_TRUSTED_HOSTS", "campaign.example.org, www.campaign.example.org")
    app = build()
    assert app.config["TRUSTED_HOSTS"] == ["campaign.example.org", "www.campaign.example.org"]
    client = app.test_client()
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port whose listener completes TCP handshakes and then never says a word, as a
    database host behind a firewall that drops packets looks to a client."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def test_a_database_that_never_answers_fails_a_connection_in_seconds(
    clean_env, build, monkeypatch, silent_server
):
    import threading

    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    monkeypatch.setenv("CAMPAIGN_ENV", "development")
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", f"postgresql://u@127.0.0.1:{silent_server}/x")
    monkeypatch.setenv("CAMPAIGN_DATABASE_CONNECT_TIMEOUT", "2")  # libpq's smallest
    app = build()
    failures: list[BaseException] = []

    def connect() -> None:
        with app.app_context():
            try:
                db.session.execute(text("SELECT 1"))
            except OperationalError as exc:
                failures.append(exc)

    # In a thread, so that a connection that hangs fails this test instead of the run.
    attempt = threading.Thread(target=connect, daemon=True)
    attempt.start()
    attempt.join(timeout=20)
    assert not attempt.is_alive(), "the connection still waits after 20 s"
    assert len(failures) == 1 and "timeout" in str(failures[0]).lower()


def test_a_connect_timeout_in_the_database_url_wins(clean_env, build, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_ENV", "development")
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", "postgresql://u@db.internal/x?connect_timeout=3")
    app = build()
    assert "connect_args" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", "postgresql://u@db.internal/x")
    options = build().config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["connect_args"] == {"connect_timeout": 10}


def test_absolute_links_follow_a_base_url_changed_while_the_app_runs(app) -> None:
    """The URL map is bound once per base URL (campaign.core.urls), never kept past a
    change of BASE_URL; a path under the base stays in the links."""
    with app.app_context():
        app.config["BASE_URL"] = "https://one.example.org"
        assert absolute_url("events.index") == "https://one.example.org/events"
        assert absolute_url("events.detail", slug="walk") == "https://one.example.org/events/walk"
        app.config["BASE_URL"] = "http://two.example.net:8080/campaign"
        assert absolute_url("events.index") == "http://two.example.net:8080/campaign/events"
        app.config["BASE_URL"] = "https://one.example.org"
        assert absolute_url("events.index", ref=None) == "https://one.example.org/events"
