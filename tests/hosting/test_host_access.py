"""The host's private link opens their own proposal or event and nothing else: every
/host/<token> route answers 404 to another host's token, an unknown one and a revoked one,
and changes nothing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from campaign.extensions import db
from campaign.hosting.models import HostProposal
from campaign.signups import services as signup_services
from campaign.signups.models import Registration
from tests.core.support import snapshot
from tests.hosting.conftest import host_links
from tests.signups.conftest import delivered

_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
FORM = {
    "title": "Hijacked",
    "timezone": "Europe/London",
    "starts_local": "2030-01-10T18:00",
    "ends_local": "2030-01-10T20:00",
    "format": "online",
    "capacity": "5",
    "subject": "Hello",
    "body": "Hijacked",
    "audience": "confirmed",
    "step": "send",
    "checked_in": "1",
    "confirm": "y",
}


def host_rules(app: Flask) -> list[Any]:
    """Every rule that takes a host token."""
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("hosting.")]
    rules = [r for r in rules if "token" in r.arguments]
    assert len(rules) >= 9, [r.rule for r in rules]
    return sorted(rules, key=lambda r: r.rule)


def _register(event_id: int, email: str, app: Flask) -> int:
    result = signup_services.register(
        event_id,
        signup_services.SignupInput("Pat Reg", email, False),
        _now(),
        app.config["SECRET_KEY"],
    )
    db.session.commit()
    return result.registration_id


def _now() -> Any:
    from campaign.core.timeutil import utcnow

    return utcnow()


@pytest.fixture
def two_hosts(
    app: Flask,
    approved_event: tuple[HostProposal, str],
    propose: Any,
    reviewer_client: FlaskClient,
    tmp_path: Path,
) -> dict[str, Any]:
    """Ana's approved event (with a registrant) and Bo's approved event; their tokens."""
    ana, ana_token = approved_event
    delivered(app, tmp_path / "mail")
    assert propose(email="bo@example.org", title="Bo's stall").status_code == 303
    [bo_token] = host_links(app, tmp_path, to="bo@example.org")
    app.test_client().post(f"/host/{bo_token}/confirm")
    db.session.rollback()
    bo = db.session.scalar(
        db.select(HostProposal).where(HostProposal.host_email == "bo@example.org")
    )
    assert bo is not None
    reviewer_client.post(
        f"/manage/proposals/{bo.id}/approve",
        data={"owner": str(reviewer_client.admin_id)},  # type: ignore[attr-defined]
    )
    db.session.rollback()
    assert ana.event_id is not None and bo.event_id is not None
    ana_reg = _register(ana.event_id, "robin@example.org", app)
    bo_reg = _register(bo.event_id, "kim@example.org", app)
    return {
        "ana": ana_token,
        "bo": bo_token,
        "ana_registration": ana_reg,
        "bo_registration": bo_reg,
        "ana_id": ana.id,
    }


def _path(rule: Any, token: str, registration_id: int) -> str:
    values = {"token": token, "registration_id": registration_id}
    return _VARIABLE.sub(lambda m: str(values[m.group(1)]), rule.rule)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_another_hosts_token_gets_404_on_every_route(
    app: Flask, two_hosts: dict[str, Any], method: str
) -> None:
    """Bo's token with Ana's registration, and a bad token, on every host route."""
    client = app.test_client()
    before = snapshot()
    problems = []
    for rule in host_rules(app):
        if method not in (rule.methods or ()):
            continue
        for token, registration in (
            (two_hosts["bo"], two_hosts["ana_registration"]),
            ("not-a-real-token-" + "x" * 30, two_hosts["ana_registration"]),
        ):
            if "registration_id" not in rule.arguments and token == two_hosts["bo"]:
                continue  # Bo's own pages: not another host's
            path = _path(rule, token, registration)
            response = client.open(path, method=method, data=FORM)
            body = response.get_data(as_text=True)
            if response.status_code != 404:
                problems.append(f"{method} {path}: {response.status_code}")
            if "robin@example.org" in body or "Library evening" in body:
                problems.append(f"{method} {path}: shows Ana's event")
            if snapshot() != before:
                problems.append(f"{method} {path} changed the database")
                before = snapshot()
    assert not problems, "\n".join(problems)


def test_ana_token_never_reaches_bos_registrant(app: Flask, two_hosts: dict[str, Any]) -> None:
    client = app.test_client()
    response = client.post(
        f"/host/{two_hosts['ana']}/attendees/{two_hosts['bo_registration']}/check-in",
        data={"checked_in": "1"},
    )
    assert response.status_code == 404
    db.session.rollback()
    registration = db.session.get(Registration, two_hosts["bo_registration"])
    assert registration is not None and registration.checked_in_at is None
    page = client.get(f"/host/{two_hosts['ana']}/attendees").get_data(as_text=True)
    assert "robin@example.org" in page and "kim@example.org" not in page
    csv = client.get(f"/host/{two_hosts['ana']}/attendees/export.csv").get_data(as_text=True)
    assert "robin@example.org" in csv and "kim@example.org" not in csv


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_revoked_link_opens_nothing(
    app: Flask,
    two_hosts: dict[str, Any],
    reviewer_client: FlaskClient,
    method: str,
    tmp_path: Path,
) -> None:
    proposal = only_ana(two_hosts)
    assert (
        reviewer_client.post(f"/manage/events/{proposal.event_id}/host/revoke").status_code == 303
    )
    client = app.test_client()
    before = snapshot()
    for rule in host_rules(app):
        if method not in (rule.methods or ()):
            continue
        path = _path(rule, two_hosts["ana"], two_hosts["ana_registration"])
        response = client.open(path, method=method, data=FORM)
        assert response.status_code == 404, path
        assert "This link is not valid" in response.get_data(as_text=True)
    assert snapshot() == before
    # A new link works; the revoked one still does not.
    delivered(app, tmp_path / "mail")
    reviewer_client.post(f"/manage/events/{proposal.event_id}/host/new-link")
    [new_token] = host_links(app, tmp_path)
    assert new_token != two_hosts["ana"]
    assert client.get(f"/host/{new_token}").status_code == 200
    assert client.get(f"/host/{two_hosts['ana']}").status_code == 404
    history = reviewer_client.get(f"/manage/events/{proposal.event_id}/host").get_data(as_text=True)
    assert "revoked host link" in history and "sent host a new link" in history


def only_ana(two_hosts: dict[str, Any]) -> HostProposal:
    db.session.rollback()
    proposal = db.session.get(HostProposal, two_hosts["ana_id"])
    assert proposal is not None
    return proposal


def test_the_link_is_stored_only_as_a_hash(app: Flask, two_hosts: dict[str, Any]) -> None:
    from campaign.mail.models import OutboxMessage

    proposal = only_ana(two_hosts)
    token = two_hosts["ana"]
    assert token not in (proposal.token_hash, proposal.token_nonce)
    for row in db.session.scalars(db.select(OutboxMessage)):
        assert token not in str(row.params)


def test_private_pages_are_not_cached_nor_indexed(app: Flask, two_hosts: dict[str, Any]) -> None:
    response = app.test_client().get(f"/host/{two_hosts['ana']}")
    assert response.headers["Cache-Control"] == "no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]
    assert response.headers["Referrer-Policy"] == "same-origin"
