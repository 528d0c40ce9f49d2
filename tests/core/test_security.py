"""Baseline security: CSRF on every POST, headers on every response, friendly error pages,
escaped user text, and /healthz."""

from __future__ import annotations

import re
import socket

import pytest

from campaign import create_app
from campaign.core.timeutil import utcnow
from campaign.extensions import csrf, db
from campaign.organizers import services as organizer_services
from tests.conftest import csrf_token
from tests.core.support import build_path, csrf_login, id_values, methods, snapshot, with_config

# POST routes that skip the CSRF check on purpose, each with its reason.
CSRF_EXEMPT = {
    # RFC 8058 one-click unsubscribe: mail clients POST without a session; the HMAC
    # signature in the URL is the proof.
    "signups.unsubscribe",
    # The public registration form: no session on a first visit. Its signed one-time form
    # token and the Origin/Sec-Fetch-Site check protect it (tests/signups/test_bot_protection).
    "signups.register",
    # The other public forms, sessionless the same way, each with its own token slot and
    # one-click second step (tests/signups/test_sessionless_forms).
    "signups.resend",
    "events.contact_host",
    "hosting.propose",
    "hosting.resend",
}

# What a POST carries besides the (missing) CSRF token: enough that it would succeed.
FORM = {
    "email": "someone@example.org",
    "name": "Someone",
    "password": "a long enough password",
    "confirm": "a long enough password",
    "title": "Changed",
    "summary": "Changed",
    "description": "Changed",
    "timezone": "Europe/London",
    "starts_local": "2030-01-10T18:00",
    "ends_local": "2030-01-10T20:00",
    "format": "in_person",
    "venue": "Elsewhere",
    "city": "York",
}


def _csp(response) -> dict[str, list[str]]:
    value = response.headers.get("Content-Security-Policy", "")
    directives: dict[str, list[str]] = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def _assert_security_headers(response, what: str) -> None:
    csp = _csp(response)
    assert csp, f"{what}: no Content-Security-Policy"
    script_src = csp.get("script-src", csp.get("default-src"))
    assert script_src is not None, f"{what}: CSP without script-src"
    assert "'self'" in script_src, f"{what}: {script_src}"
    assert "'unsafe-inline'" not in script_src, f"{what}: {script_src}"
    assert "'unsafe-eval'" not in script_src, f"{what}: {script_src}"
    assert csp.get("object-src") == ["'none'"], f"{what}: {csp}"
    assert csp.get("base-uri") == ["'none'"], f"{what}: {csp}"
    assert csp.get("frame-ancestors") == ["'none'"], f"{what}: {csp}"
    assert response.headers.get("X-Content-Type-Options") == "nosniff", what
    assert response.headers.get("Referrer-Policy") in {
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    }, what


@pytest.fixture
def world(app, campaign, make_organizer, make_event):
    """An admin, an organizer with an event, and a pending invitation."""
    admin = make_organizer(admin=True)
    owner = make_organizer()
    event = make_event(owner, title="Open Evening", status="draft", published_at=None)
    invite_token = organizer_services.invite(
        "invited@example.org", "Invited", admin, utcnow(), hours=24
    )
    db.session.commit()
    return {"admin": admin, "owner": owner, "event": event, "invite_token": invite_token}


def test_csrf_exemptions_are_real_and_exempt(app):
    """The list above stays honest: each entry is a route that is really exempt."""
    for endpoint in CSRF_EXEMPT:
        view = app.view_functions[endpoint]
        assert f"{view.__module__}.{view.__name__}" in csrf._exempt_views, endpoint


@with_config(WTF_CSRF_ENABLED=True)
def test_every_post_route_needs_a_csrf_token(app, client, world):
    assert csrf_login(client, world["admin"].email).status_code == 302
    value_for = id_values(
        {
            "event_id": world["event"].id,
            "organizer_id": world["owner"].id,
            "slug": world["event"].slug,
            "token": world["invite_token"],
            "locale": "es",
        }
    )
    post_rules = [
        r
        for r in sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
        if "POST" in methods(r) and r.endpoint not in CSRF_EXEMPT
    ]
    assert len(post_rules) >= 10, [r.rule for r in post_rules]
    before = snapshot()
    for rule in post_rules:
        path = build_path(rule, value_for)
        response = client.post(path, data=FORM)
        assert response.status_code == 400, (rule.rule, response.status_code)
        body = response.get_data(as_text=True)
        assert "Traceback" not in body
        assert snapshot() == before, f"POST {path} without a CSRF token changed the database"
    # Still signed in: the token-less logout did nothing.
    assert client.get("/manage/").status_code == 200

    # With the page's token the same kind of request goes through.
    page = client.get(f"/manage/events/{world['event'].id}").get_data(as_text=True)
    response = client.post(
        f"/manage/events/{world['event'].id}/publish", data={"csrf_token": csrf_token(page)}
    )
    assert response.status_code == 302
    assert snapshot() != before


@with_config(WTF_CSRF_ENABLED=True)
def test_csrf_token_of_another_session_is_refused(app, client, world):
    other = app.test_client()
    token = csrf_token(other.get("/manage/login").get_data(as_text=True))
    assert csrf_login(client, world["admin"].email).status_code == 302
    response = client.post(
        f"/manage/events/{world['event'].id}/publish", data={"csrf_token": token}
    )
    assert response.status_code == 400
    db.session.rollback()
    assert db.session.get(type(world["event"]), world["event"].id).status == "draft"


def test_security_headers_on_every_kind_of_response(app, client, world, login_as):
    event = world["event"]
    event.status = "published"
    event.published_at = utcnow()
    db.session.commit()
    responses = {
        "home": client.get("/"),
        "listing": client.get("/events"),
        "event page": client.get(f"/events/{event.slug}"),
        "login page": client.get("/manage/login"),
        "anonymous redirect": client.get("/manage/"),
        "404": client.get("/no-such-page"),
        "405": client.post("/events"),
        "stylesheet": client.get("/assets/css/app.css"),
        "script": client.get("/assets/js/app.js"),
        "missing asset": client.get("/assets/nope.css"),
        "healthz": client.get("/healthz"),
        "invalid invite": client.get("/manage/invite/not-a-token"),
    }
    login_as(world["admin"])
    responses["dashboard"] = client.get("/manage/")
    responses["manage event"] = client.get(f"/manage/events/{event.id}")
    assert responses["anonymous redirect"].status_code == 302
    assert responses["404"].status_code == 404
    assert responses["405"].status_code == 405
    assert responses["stylesheet"].status_code == 200
    assert responses["missing asset"].status_code == 404
    for what, response in responses.items():
        _assert_security_headers(response, what)
        response.close()
    assert responses["dashboard"].headers.get("Cache-Control") == "no-store"


def test_pages_have_no_inline_scripts(app, client, world, login_as):
    """The CSP forbids inline scripts, so the pages must not rely on any."""
    event = world["event"]
    pages = [client.get("/"), client.get("/events"), client.get("/manage/login")]
    login_as(world["admin"])
    for path in (
        "/manage/",
        "/manage/events",
        "/manage/events/new",
        f"/manage/events/{event.id}",
        f"/manage/events/{event.id}/edit",
        "/manage/organizers",
        "/manage/settings",
    ):
        pages.append(client.get(path))
    for response in pages:
        assert response.status_code == 200, response.request.path
        html = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), response.request.path
        assert not re.search(r"\son[a-z]+\s*=", html), response.request.path
        assert "javascript:" not in html.lower(), response.request.path


def test_custom_404_page(client, campaign):
    response = client.get("/events/does-not-exist")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "Page not found" in body
    assert "not medical advice" in body
    assert "Traceback" not in body
    assert "werkzeug" not in body.lower()


def test_custom_500_page_without_traceback(app, client, campaign):
    def explode():  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internal detail 7f3a")

    app.add_url_rule("/test-explode", "test_explode", explode)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/test-explode")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong" in body
    for leak in ("Traceback", "RuntimeError", "secret internal detail", "explode", ".py"):
        assert leak not in body
    _assert_security_headers(response, "500")


HOSTILE_TITLE = "<script>alert(1)</script>"
HOSTILE_DESCRIPTION = (
    "Hello <b onmouseover=alert(2)>raw</b> and <img src=x onerror=alert(3)>\n\n"
    "<script>alert(6)</script>\n\n"
    '<a href="javascript:alert(8)">html link</a>'
)
HOSTILE_LINKS = (
    "[click me](javascript:alert(4)) and [also](JaVaScRiPt:alert(5)) and "
    "[data](data:text/html;base64,PHNjcmlwdD4=)\n\n"
    "[fine](https://example.org/info) and [mail](mailto:team@example.org)"
)


def _assert_neutralised(html: str, where: str) -> None:
    assert "<script>alert" not in html, where
    assert "<b onmouseover" not in html, where
    assert "<img src=x" not in html, where
    assert not re.search(r'href\s*=\s*["\']?\s*javascript:', html, re.IGNORECASE), where


def test_user_text_is_escaped_everywhere(app, client, world, make_event, login_as):
    event = make_event(
        world["owner"],
        title=HOSTILE_TITLE,
        summary='"><svg onload=alert(7)>',
        description=HOSTILE_DESCRIPTION,
        venue="<i>Hall</i>",
    )
    public = client.get(f"/events/{event.slug}").get_data(as_text=True)
    _assert_neutralised(public, "event page")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in public
    assert "<svg onload" not in public
    assert "<i>Hall</i>" not in public
    assert "&lt;b onmouseover=alert(2)&gt;" in public
    for path in ("/events", "/"):
        html = client.get(path).get_data(as_text=True)
        _assert_neutralised(html, path)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
        assert "<svg onload" not in html, path

    login_as(world["admin"])
    for path in (
        "/manage/",
        "/manage/events",
        f"/manage/events/{event.id}",
        f"/manage/events/{event.id}/edit",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        _assert_neutralised(html, path)
        assert "<svg onload" not in html, path
        if path != "/manage/":
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path


def test_markdown_links_are_neutralised(app, client, world, make_event, login_as):
    """Description links: only http(s) and mailto survive; javascript: and data: do not."""
    event = make_event(world["owner"], description=HOSTILE_LINKS)
    pages = {"event page": client.get(f"/events/{event.slug}")}
    login_as(world["admin"])
    pages["manage page"] = client.get(f"/manage/events/{event.id}")
    for where, response in pages.items():
        assert response.status_code == 200, where
        html = response.get_data(as_text=True)
        _assert_neutralised(html, where)
        assert not re.search(r'href\s*=\s*["\']?\s*data:', html, re.IGNORECASE), where
        assert "click me" in html, where
        assert 'href="https://example.org/info"' in html, where
        assert 'href="mailto:team@example.org"' in html, where
        assert 'rel="nofollow noopener noreferrer"' in html, where


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.is_json
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(params=["sqlite", "postgresql"])
def down_app(request, tmp_path):
    """An app whose database cannot be reached."""
    if request.param == "sqlite":
        url = "sqlite:///" + str(tmp_path / "no-such-dir" / "campaign.sqlite3")
    else:
        url = f"postgresql://campaign@127.0.0.1:{_closed_port()}/campaign"
    application = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "down",
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "PROPAGATE_EXCEPTIONS": False,
            "WTF_CSRF_ENABLED": False,
        }
    )
    yield application
    with application.app_context():
        db.engine.dispose()


def test_healthz_reports_database_down(down_app):
    response = down_app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.is_json
    assert response.get_json() == {"status": "error", "database": "unavailable"}
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/", "/events", "/events/some-event"])
def test_pages_with_database_down_are_friendly(down_app, path):
    response = down_app.test_client().get(path)
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert "Temporarily unavailable" in body
    assert "not medical advice" in body
    for leak in ("Traceback", "OperationalError", "sqlite", "psycopg", "127.0.0.1"):
        assert leak not in body
    assert response.headers.get("Retry-After")
    _assert_security_headers(response, f"{path} with the database down")


def test_login_with_database_down_is_friendly(down_app):
    client = down_app.test_client()
    response = client.post("/manage/login", data={"email": "a@example.org", "password": "x" * 12})
    assert response.status_code == 503
    assert "Traceback" not in response.get_data(as_text=True)
