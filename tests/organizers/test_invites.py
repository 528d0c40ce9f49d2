"""Admins invite organizers (a one-time link that sets a password) and deactivate them."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.organizers import services
from campaign.organizers.models import LoginSession, Organizer
from tests.conftest import PASSWORD, login
from tests.core.support import snapshot, with_config

NEW_PASSWORD = "the invitee's own password"


def _organizer(email: str) -> Organizer | None:
    db.session.rollback()
    return services.find_by_email(email)


def _invite(client, name: str = "Bea Quist", email: str = "bea@example.org"):
    return client.post("/manage/organizers/invite", data={"name": name, "email": email})


def _link_path(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)
    match = re.search(r'id="invite-link"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    assert match, "no invite link on the page"
    link = match.group(1)
    assert link.startswith("https://campaign.example.org/manage/invite/")
    return urlsplit(link).path


def _accept(client, path: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    return client.post(
        path, data={"password": password, "confirm": password if confirm is None else confirm}
    )


@pytest.fixture
def admin(make_organizer):
    return make_organizer(admin=True)


def test_admin_invites_and_the_link_sets_a_password(app, client, admin, login_as):
    login_as(admin)
    assert client.get("/manage/organizers").status_code == 200
    path = _link_path(_invite(client))
    token = path.rsplit("/", 1)[1]

    invited = _organizer("bea@example.org")
    assert invited is not None
    assert invited.role == "organizer"
    assert invited.password_hash is None
    assert invited.invited_by_id == admin.id
    assert invited.is_invite_pending
    # Only a hash of the token is stored.
    assert token not in repr(snapshot())
    assert login(app.test_client(), "bea@example.org", NEW_PASSWORD).status_code == 400

    guest = app.test_client()
    page = guest.get(path)
    assert page.status_code == 200
    assert "Welcome, Bea Quist" in page.get_data(as_text=True)
    response = _accept(guest, path)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/manage/login"

    invited = _organizer("bea@example.org")
    assert invited.password_hash.startswith("$argon2id$")
    assert invited.invite_token_hash is None
    assert login(guest, "bea@example.org", NEW_PASSWORD).status_code == 302
    assert guest.get("/manage/").status_code == 200
    assert guest.get("/manage/organizers").status_code == 404  # an organizer, not an admin


def test_invite_link_works_only_once(app, client, admin, login_as):
    login_as(admin)
    path = _link_path(_invite(client))
    guest = app.test_client()
    assert _accept(guest, path).status_code == 302
    first_hash = _organizer("bea@example.org").password_hash

    again = guest.get(path)
    assert again.status_code == 404
    assert "This invitation link is not valid" in again.get_data(as_text=True)
    reuse = _accept(app.test_client(), path, password="an attacker's password")
    assert reuse.status_code == 404
    assert _organizer("bea@example.org").password_hash == first_hash


def test_expired_invite_link_is_invalid(app, client, admin):
    token = services.invite(
        "late@example.org", "Late", admin, utcnow() - timedelta(hours=73), hours=72
    )
    db.session.commit()
    page = client.get(f"/manage/invite/{token}")
    assert page.status_code == 404
    assert "This invitation link is not valid" in page.get_data(as_text=True)
    assert _accept(client, f"/manage/invite/{token}").status_code == 404
    assert _organizer("late@example.org").password_hash is None


def test_invite_link_valid_until_expiry(app, client, admin):
    token = services.invite(
        "soon@example.org", "Soon", admin, utcnow() - timedelta(hours=71), hours=72
    )
    db.session.commit()
    assert client.get(f"/manage/invite/{token}").status_code == 200


@pytest.mark.parametrize("token", ["nope", "x" * 43, "x" * 500, "%00", "..%2F..%2Fetc"])
def test_invalid_invite_token_is_404(client, admin, token):
    response = client.get(f"/manage/invite/{token}")
    assert response.status_code == 404
    assert "Traceback" not in response.get_data(as_text=True)
    assert client.post(f"/manage/invite/{token}", data={"password": "x" * 12}).status_code == 404


def test_invite_of_a_deactivated_organizer_is_invalid(app, client, admin, login_as):
    login_as(admin)
    path = _link_path(_invite(client))
    invited = _organizer("bea@example.org")
    assert client.post(f"/manage/organizers/{invited.id}/deactivate").status_code == 302
    assert app.test_client().get(path).status_code == 404


def test_new_invite_link_replaces_the_old_one(app, client, admin, login_as):
    login_as(admin)
    old_path = _link_path(_invite(client))
    invited = _organizer("bea@example.org")
    new_path = _link_path(client.post(f"/manage/organizers/{invited.id}/reinvite"))
    assert new_path != old_path
    guest = app.test_client()
    assert guest.get(old_path).status_code == 404
    assert guest.get(new_path).status_code == 200


def test_no_new_invite_for_someone_with_a_password(app, client, admin, make_organizer, login_as):
    member = make_organizer()
    login_as(admin)
    before = _organizer(member.email).password_hash
    response = client.post(f"/manage/organizers/{member.id}/reinvite", follow_redirects=True)
    assert "already set a password" in response.get_data(as_text=True)
    after = _organizer(member.email)
    assert after.password_hash == before
    assert after.invite_token_hash is None


@pytest.mark.parametrize(
    ("name", "email", "message"),
    [
        ("Bea", "not-an-email", "Invalid email address"),
        ("Bea", "", "This field is required"),
        ("", "bea@example.org", "This field is required"),
        ("B" * 101, "bea@example.org", "longer than 100"),
    ],
)
def test_invite_bad_input(client, admin, login_as, name, email, message):
    login_as(admin)
    before = snapshot()
    response = _invite(client, name=name, email=email)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert snapshot() == before


@pytest.mark.parametrize("email", ["taken@example.org", "TAKEN@example.org"])
def test_invite_duplicate_email(client, admin, make_organizer, login_as, email):
    make_organizer(email="taken@example.org")
    login_as(admin)
    before = snapshot()
    response = _invite(client, email=email)
    assert response.status_code == 400
    assert "already exists" in response.get_data(as_text=True)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("short", "short", "between 10 and 256"),
        ("long enough password", "a different password", "The two passwords differ."),
        ("", "", "This field is required"),
        ("x" * 257, "x" * 257, "between 10 and 256"),
    ],
)
def test_set_password_bad_input(app, client, admin, password, confirm, message):
    token = services.invite("bea@example.org", "Bea", admin, utcnow(), hours=72)
    db.session.commit()
    path = f"/manage/invite/{token}"
    response = _accept(client, path, password=password, confirm=confirm)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _organizer("bea@example.org").password_hash is None
    # The link still works after a mistake.
    assert _accept(client, path).status_code == 302


def test_organizer_cannot_manage_organizers(app, client, admin, make_organizer, login_as):
    member = make_organizer()
    login_as(member)
    before = snapshot()
    assert client.get("/manage/organizers").status_code == 404
    assert _invite(client).status_code == 404
    for action in ("deactivate", "reactivate", "reinvite"):
        assert client.post(f"/manage/organizers/{admin.id}/{action}").status_code == 404
    assert client.get("/manage/settings").status_code == 404
    assert snapshot() == before
    assert "Organizers" not in client.get("/manage/").get_data(as_text=True)


def test_deactivate_ends_sessions_and_blocks_login(app, client, admin, make_organizer, login_as):
    member = make_organizer()
    member_browser = app.test_client()
    assert login(member_browser, member.email).status_code == 302
    assert member_browser.get("/manage/").status_code == 200

    login_as(admin)
    response = client.post(f"/manage/organizers/{member.id}/deactivate")
    assert response.status_code == 302
    assert "is deactivated" in client.get("/manage/organizers").get_data(as_text=True)

    db.session.rollback()
    assert not db.session.get(Organizer, member.id).is_enabled
    count = select(func.count()).select_from(LoginSession)
    assert db.session.scalar(count.where(LoginSession.organizer_id == member.id)) == 0
    followed = member_browser.get("/manage/")
    assert followed.status_code == 302
    assert urlsplit(followed.headers["Location"]).path == "/manage/login"
    assert login(member_browser, member.email).status_code == 400
    # The admin's own session is untouched.
    assert client.get("/manage/").status_code == 200

    assert client.post(f"/manage/organizers/{member.id}/reactivate").status_code == 302
    assert login(member_browser, member.email).status_code == 302


def test_admin_cannot_deactivate_self(client, admin, login_as):
    login_as(admin)
    response = client.post(f"/manage/organizers/{admin.id}/deactivate", follow_redirects=True)
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    assert _organizer(admin.email).is_enabled
    assert client.get("/manage/").status_code == 200


def test_admin_can_deactivate_another_admin_but_not_the_last(
    app, client, admin, make_organizer, login_as
):
    second = make_organizer(admin=True)
    login_as(admin)
    assert client.post(f"/manage/organizers/{second.id}/deactivate").status_code == 302
    assert not _organizer(second.email).is_enabled
    # Now `admin` is the last active admin: nobody may switch it off.
    member = make_organizer()
    with pytest.raises(services.OrganizerError, match="last active admin"):
        services.set_enabled(_organizer(admin.email), False, acting=_organizer(member.email))
    with pytest.raises(services.OrganizerError, match="your own account"):
        services.set_enabled(_organizer(admin.email), False, acting=_organizer(admin.email))
    db.session.rollback()
    assert _organizer(admin.email).is_enabled


def test_deactivate_unknown_organizer_is_404(client, admin, login_as):
    login_as(admin)
    assert client.post("/manage/organizers/999999/deactivate").status_code == 404


def test_invited_password_is_argon2id(app, admin):
    token = services.invite("hash@example.org", "H", admin, utcnow(), hours=1)
    db.session.commit()
    response = _accept(app.test_client(), f"/manage/invite/{token}")
    assert response.status_code == 302
    stored = _organizer("hash@example.org").password_hash
    assert stored.startswith("$argon2id$")
    assert NEW_PASSWORD not in stored
    assert PASSWORD != NEW_PASSWORD


@with_config(RATELIMIT_ENABLED=True)
def test_setting_a_password_is_limited_and_the_wait_is_said(app, client, admin):
    """Flask-Limiter still guards the invitation form (20 tries an hour per address); its
    429 page says how long to wait."""
    token = services.invite("bea@example.org", "Bea", admin, utcnow(), hours=72)
    db.session.commit()
    path = f"/manage/invite/{token}"
    statuses = [_accept(client, path, "short").status_code for _ in range(20)]
    assert statuses == [400] * 20
    refused = _accept(client, path)
    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    assert 0 < wait <= 3600
    page = refused.get_data(as_text=True)
    assert "Too many attempts" in page and "Wait about" in page
    assert _organizer("bea@example.org").password_hash is None
