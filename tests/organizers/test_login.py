"""Signing in and out: argon2, one message for every failure, real logout, rate limits,
safe redirects."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.organizers import services
from campaign.organizers.models import LoginSession, Organizer
from tests.conftest import PASSWORD, csrf_token, login
from tests.core.support import with_config

GENERIC = "That email and password do not match an active account."


def _sessions_of(organizer_id: int) -> int:
    db.session.rollback()
    return (
        db.session.scalar(
            select(func.count())
            .select_from(LoginSession)
            .where(LoginSession.organizer_id == organizer_id)
        )
        or 0
    )


def _is_login_redirect(response, next_path: str | None = None) -> bool:
    if response.status_code != 302:
        return False
    location = urlsplit(response.headers["Location"])
    if location.path != "/manage/login" or location.netloc not in ("", "localhost"):
        return False
    return next_path is None or parse_qs(location.query).get("next") == [next_path]


def test_login_success(client, make_organizer):
    organizer = make_organizer()
    response = login(client, organizer.email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/"
    page = client.get("/manage/")
    assert page.status_code == 200
    assert organizer.name in page.get_data(as_text=True)
    assert _sessions_of(organizer.id) == 1
    assert db.session.get(Organizer, organizer.id).last_login_at is not None


def test_login_email_is_case_and_space_insensitive(client, make_organizer):
    organizer = make_organizer(email="mixed@example.org")
    assert login(client, "  Mixed@Example.ORG ").status_code == 302
    assert _sessions_of(organizer.id) == 1


def test_passwords_are_argon2id(make_organizer):
    organizer = make_organizer()
    assert organizer.password_hash.startswith("$argon2id$")
    assert PASSWORD not in organizer.password_hash
    other = make_organizer()
    assert other.password_hash != organizer.password_hash  # salted


def _failed_body(client, email: str, password: str) -> tuple[int, str]:
    html = client.get("/manage/login").get_data(as_text=True)
    response = client.post(
        "/manage/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(html)},
    )
    body = response.get_data(as_text=True)
    body = re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "CSRF", body)
    return response.status_code, body.replace(email, "EMAIL")


@with_config(WTF_CSRF_ENABLED=True)
def test_failures_look_the_same_whether_or_not_the_email_exists(app, client, make_organizer):
    email = "maybe@example.org"
    unknown = _failed_body(client, email, PASSWORD)

    organizer = make_organizer(email=email)
    wrong_password = _failed_body(client, email, PASSWORD + "x")

    organizer.is_enabled = False
    db.session.commit()
    disabled = _failed_body(client, email, PASSWORD)

    invited_token = services.invite("pending@example.org", "P", organizer, utcnow(), 24)
    db.session.commit()
    assert invited_token
    pending = _failed_body(client, "pending@example.org", PASSWORD)

    assert unknown[0] == 400
    assert GENERIC in unknown[1]
    assert unknown == wrong_password == disabled == pending
    assert _sessions_of(organizer.id) == 0


def test_unknown_email_costs_a_password_check(app, monkeypatch):
    """Unknown emails still run argon2, so timing does not tell which emails exist."""
    calls: list[str] = []
    real_verify = PasswordHasher.verify

    def spy(self: PasswordHasher, stored: str, password: str) -> bool:
        calls.append(stored)
        return real_verify(self, stored, password)

    monkeypatch.setattr(PasswordHasher, "verify", spy)
    assert services.authenticate("nobody@example.org", "whatever password") is None
    assert calls and calls[0].startswith("$argon2id$")


def test_empty_form_gets_an_error_not_a_crash(client):
    response = client.post("/manage/login", data={})
    assert response.status_code == 400
    assert "Enter your email and password." in response.get_data(as_text=True)


def test_disabled_organizer_cannot_log_in(client, make_organizer):
    organizer = make_organizer()
    organizer.is_enabled = False
    db.session.commit()
    response = login(client, organizer.email)
    assert response.status_code == 400
    assert GENERIC in response.get_data(as_text=True)
    assert _is_login_redirect(client.get("/manage/"))


def test_logout_really_ends_the_session(app, client, make_organizer, login_as):
    organizer = make_organizer()
    login_as(organizer)
    copied = client.get_cookie("session")
    assert copied is not None

    # The copied cookie works in another browser while the session is live...
    thief = app.test_client()
    thief.set_cookie("session", copied.value)
    assert thief.get("/manage/").status_code == 200

    response = client.post("/manage/logout")
    assert _is_login_redirect(response)
    assert _sessions_of(organizer.id) == 0
    assert _is_login_redirect(client.get("/manage/"), "/manage/")

    # ...and not after logout, replayed on a fresh client.
    replay = app.test_client()
    replay.set_cookie("session", copied.value)
    assert _is_login_redirect(replay.get("/manage/"), "/manage/")
    assert _is_login_redirect(replay.get("/manage/events"), "/manage/events")


def test_logout_is_post_only(client, make_organizer, login_as):
    login_as(make_organizer())
    assert client.get("/manage/logout").status_code == 405
    assert client.get("/manage/").status_code == 200


def test_logout_of_one_browser_keeps_the_other(app, make_organizer):
    organizer = make_organizer()
    laptop, phone = app.test_client(), app.test_client()
    assert login(laptop, organizer.email).status_code == 302
    assert login(phone, organizer.email).status_code == 302
    assert laptop.post("/manage/logout").status_code == 302
    assert _is_login_redirect(laptop.get("/manage/"))
    assert phone.get("/manage/").status_code == 200


def test_expired_login_session_is_not_accepted(client, make_organizer, login_as):
    organizer = make_organizer()
    login_as(organizer)
    db.session.rollback()
    row = db.session.scalar(select(LoginSession).where(LoginSession.organizer_id == organizer.id))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert _is_login_redirect(client.get("/manage/"))


def test_session_lasts_the_configured_hours(app, client, make_organizer, login_as):
    organizer = make_organizer()
    before = utcnow()
    login_as(organizer)
    db.session.rollback()
    row = db.session.scalar(select(LoginSession).where(LoginSession.organizer_id == organizer.id))
    hours = app.config["ORGANIZER_SESSION_HOURS"]
    assert before + timedelta(hours=hours) <= row.expires_at
    assert row.expires_at <= utcnow() + timedelta(hours=hours)


def test_session_cookie_does_not_hold_the_account_id(client, make_organizer, login_as):
    organizer = make_organizer()
    login_as(organizer)
    with client.session_transaction() as sess:
        user_id = sess.get("_user_id")
    assert user_id and user_id != str(organizer.id)
    assert len(user_id) >= 32


# --- rate limits ------------------------------------------------------------------------
# LOGIN_RATE_LIMIT (5 per 15 minutes) per account and address, or per account and known
# browser; LOGIN_ADDRESS_RATE_LIMIT (30 per 15 minutes) per address for new browsers;
# LOGIN_ACCOUNT_RATE_LIMIT (30 per hour) per account for new browsers.

ATTACKER = "203.0.113.66"
OWNER_HOME = "198.51.100.1"


def _attempt(client, email: str, address: str, password: str = "wrong password!") -> int:
    return _post_login(client, email, address, password).status_code


def _post_login(client, email: str, address: str, password: str = "wrong password!"):
    return client.post(
        "/manage/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


@with_config(RATELIMIT_ENABLED=True)
def test_the_owner_signs_in_while_an_attacker_hammers_the_account(app, make_organizer):
    owner = make_organizer(email="owner@example.org")
    attacker = app.test_client()
    statuses = [_attempt(attacker, "owner@example.org", ATTACKER) for _ in range(50)]
    assert statuses[:5] == [400] * 5
    assert set(statuses[5:]) == {429}
    # The owner, on a browser never used with the account, from their own address.
    assert _attempt(app.test_client(), "owner@example.org", OWNER_HOME, PASSWORD) == 302
    assert _sessions_of(owner.id) == 1


@with_config(RATELIMIT_ENABLED=True)
def test_one_address_gets_five_tries_per_account(app, client, clock, make_organizer):
    organizer = make_organizer()
    assert [_attempt(client, organizer.email, ATTACKER) for _ in range(5)] == [400] * 5
    # Even the right password is refused from that address now, with the reason and the wait.
    response = _post_login(client, organizer.email, ATTACKER, PASSWORD)
    assert response.status_code == 429
    wait = int(response.headers["Retry-After"])
    assert 0 < wait <= 15 * 60
    page = response.get_data(as_text=True)
    assert "Too many sign-in attempts for this account from here" in page
    assert "Wait about" in page and "<form" in page
    assert f'value="{organizer.email}"' in page
    assert PASSWORD not in page
    assert _sessions_of(organizer.id) == 0
    # Another address is unaffected, and looking at the form is never limited.
    assert _attempt(app.test_client(), organizer.email, "198.51.100.2", PASSWORD) == 302
    for _ in range(3):
        page = client.get("/manage/login", environ_base={"REMOTE_ADDR": ATTACKER})
        assert page.status_code == 200
    # After the wait the address may try again.
    clock.advance(wait + 1)
    assert _attempt(client, organizer.email, ATTACKER, PASSWORD) == 302


@with_config(RATELIMIT_ENABLED=True)
def test_one_address_cannot_try_many_accounts(app, client, make_organizer):
    organizer = make_organizer()
    # The organizer's own browser, used on this network before.
    laptop = app.test_client()
    assert _attempt(laptop, organizer.email, ATTACKER, PASSWORD) == 302
    laptop.post("/manage/logout")
    # That first sign-in was one of the address's 30 attempts; a stranger makes the rest.
    statuses = [_attempt(client, f"u{n}@example.org", ATTACKER) for n in range(29)]
    assert statuses == [400] * 29
    response = _post_login(client, "u29@example.org", ATTACKER)
    assert response.status_code == 429
    assert "Too many sign-in attempts from your network" in response.get_data(as_text=True)
    # A new browser on that address is refused even for a real account...
    assert _attempt(app.test_client(), organizer.email, ATTACKER, PASSWORD) == 429
    # ...but the browser the organizer signed in with before still gets in.
    assert _attempt(laptop, organizer.email, ATTACKER, PASSWORD) == 302


@with_config(RATELIMIT_ENABLED=True)
def test_an_attack_from_many_addresses_pauses_new_browsers_but_not_the_owners(app, make_organizer):
    owner = make_organizer(email="owner@example.org")
    laptop = app.test_client()
    assert _attempt(laptop, owner.email, OWNER_HOME, PASSWORD) == 302
    laptop.post("/manage/logout")

    # The account's ceiling for new browsers is 30 attempts an hour; the laptop's first
    # sign-in was one. Six addresses, five tries each, make the rest.
    attacker = app.test_client()
    statuses = [_attempt(attacker, owner.email, f"203.0.113.{1 + n // 5}") for n in range(29)]
    assert statuses == [400] * 29
    refused = _post_login(app.test_client(), owner.email, "198.51.100.77", PASSWORD)
    assert refused.status_code == 429
    assert "A browser you have signed in with before still works" in refused.get_data(True)
    # The owner's usual browser is not counted with strangers, from any address.
    assert _attempt(laptop, owner.email, "198.51.100.78", PASSWORD) == 302
    assert _sessions_of(owner.id) == 1

    # A forged "known browser" cookie is a new browser.
    forger = app.test_client()
    cookie = laptop.get_cookie("known_browser", path="/manage/login")
    assert cookie is not None
    forger.set_cookie("known_browser", cookie.value[:-2] + "xx", path="/manage/login")
    assert _attempt(forger, owner.email, "198.51.100.79", PASSWORD) == 429


@with_config(RATELIMIT_ENABLED=True)
def test_a_known_browser_has_its_own_five_tries(app, make_organizer):
    organizer = make_organizer()
    laptop = app.test_client()
    assert _attempt(laptop, organizer.email, OWNER_HOME, PASSWORD) == 302
    laptop.post("/manage/logout")
    # A stranger on the same network spends the address's tries, not the laptop's.
    stranger = app.test_client()
    assert {_attempt(stranger, organizer.email, OWNER_HOME) for _ in range(6)} == {400, 429}
    assert _attempt(laptop, organizer.email, OWNER_HOME, PASSWORD) == 302
    laptop.post("/manage/logout")
    # The laptop itself guessing is limited like anyone.
    assert [_attempt(laptop, organizer.email, OWNER_HOME) for _ in range(6)] == [400] * 5 + [429]


@with_config(RATELIMIT_ENABLED=True)
def test_signing_in_resets_the_count_for_that_address(app, client, make_organizer):
    organizer = make_organizer()
    assert [_attempt(client, organizer.email, OWNER_HOME) for _ in range(4)] == [400] * 4
    assert _attempt(client, organizer.email, OWNER_HOME, PASSWORD) == 302
    client.post("/manage/logout")
    assert [_attempt(client, organizer.email, OWNER_HOME) for _ in range(4)] == [400] * 4
    assert _attempt(client, organizer.email, OWNER_HOME, PASSWORD) == 302


@with_config(RATELIMIT_ENABLED=True)
def test_limits_look_the_same_whether_or_not_the_account_exists(app, make_organizer):
    make_organizer(email="exists@example.org")

    def sixth(email: str) -> tuple[int, str]:
        client = app.test_client()
        for _ in range(5):
            _attempt(client, email, ATTACKER)
        response = _post_login(client, email, ATTACKER)
        body = response.get_data(as_text=True).replace(email, "EMAIL")
        return response.status_code, body

    assert sixth("exists@example.org") == sixth("nobody@example.org")


@with_config(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per hour")
def test_login_limit_is_a_setting(app, client):
    statuses = [_attempt(client, "s@example.org", "203.0.113.20") for n in range(3)]
    assert statuses == [400, 400, 429]


def test_login_is_not_limited_when_disabled(client, make_organizer):
    """The suite's default config turns limits off; the limit is a setting, not hard-coded."""
    statuses = {_attempt(client, "x@example.org", "203.0.113.9") for _ in range(8)}
    assert statuses == {400}


# --- safe next ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["/manage/events", "/manage/events/new", "/manage/events?status=draft"]
)
def test_next_within_manage_is_honoured(client, make_organizer, target):
    organizer = make_organizer()
    response = client.post(
        "/manage/login",
        query_string={"next": target},
        data={"email": organizer.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == target


BAD_TARGETS = [
    "//evil.example",
    "//evil.example/manage/",
    "///evil.example",
    "https://evil.example",
    "https://evil.example/manage/",
    "http:evil.example",
    "https:/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " /manage/",
    "manage/events",
    "data:text/html,hi",
]


@pytest.mark.parametrize("target", BAD_TARGETS)
def test_unsafe_next_goes_to_the_dashboard(client, make_organizer, target):
    organizer = make_organizer()
    response = client.post(
        "/manage/login",
        query_string={"next": target},
        data={"email": organizer.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/"
    # Already signed in: the login page redirects, and just as safely.
    again = client.get("/manage/login", query_string={"next": target})
    assert again.status_code == 302
    assert again.headers["Location"] == "/manage/"


def test_login_redirect_round_trip(client, make_organizer):
    organizer = make_organizer()
    first = client.get("/manage/events?status=draft")
    assert _is_login_redirect(first, "/manage/events?status=draft")
    response = client.post(
        first.headers["Location"], data={"email": organizer.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/manage/events?status=draft"
