"""The /host form: bad and hostile input gets a clear message and changes nothing; the
registration form's bot protection and no-enumeration rules hold here too."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.hosting.models import STATUS_WAITING, HostProposal
from campaign.hosting.services import review
from campaign.mail.models import OutboxMessage
from campaign.signups import guard
from tests.core.support import snapshot
from tests.hosting.conftest import host_links, proposal_form, resend_form
from tests.signups.conftest import field_error


def _count(model: Any) -> int:
    db.session.rollback()
    return int(db.session.scalar(db.select(db.func.count()).select_from(model)) or 0)


HOSTILE = [
    ({"title": "Talk\x00\x07"}, "title"),
    ({"name": "Ana\u0000Host"}, "name"),
    ({"email": "ana@example.org\r\nBcc: victim@example.org"}, "email"),
    ({"email": "not an address"}, "email"),
    ({"note": "x" * 2001}, "note"),
    ({"title": "x" * 121}, "title"),
    ({"join_url": "javascript:alert(1)", "format": "online"}, "join_url"),
    ({"capacity": "100000"}, "capacity"),
    ({"capacity": ""}, "capacity"),
    ({"capacity": "-3"}, "capacity"),
    ({"starts_local": "2030-13-45T99:99"}, "starts_local"),
    ({"ends_local": "2000-01-01T10:00"}, "ends_local"),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"format": "hologram"}, "format"),
    ({"venue": "", "city": ""}, "venue"),
    ({"name": ""}, "name"),
    ({"description": "x" * 5001}, "description"),
    ({"latitude": "95", "longitude": "0"}, "latitude"),
    ({"latitude": "51.5", "longitude": ""}, "longitude"),
    ({"latitude": "0", "longitude": "east"}, "longitude"),
]


@pytest.mark.parametrize(("overrides", "field"), HOSTILE, ids=[str(i) for i in range(len(HOSTILE))])
def test_bad_or_hostile_input_is_refused_with_a_message(
    app: Flask, campaign: Any, overrides: dict[str, str], field: str | None
) -> None:
    if field is None:
        pytest.skip("accepted input; see test_markup_is_kept_as_text")
    before = snapshot()
    response = app.test_client().post("/host", data=proposal_form(**overrides))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert field_error(page, field), f"no message beside {field}"
    assert "Please fix" in page
    assert snapshot() == before


def test_markup_is_kept_as_text(
    app: Flask, campaign: Any, reviewer_client: Any, tmp_path: Path
) -> None:
    title = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    note = "</dd><script>alert(2)</script>"
    response = app.test_client().post("/host", data=proposal_form(title=title, note=note))
    assert response.status_code == 303
    [token] = host_links(app, tmp_path)
    client = app.test_client()
    page = client.get(f"/host/{token}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    client.post(f"/host/{token}/confirm")
    db.session.rollback()
    proposal = db.session.scalar(db.select(HostProposal))
    assert proposal is not None
    detail = reviewer_client.get(f"/manage/proposals/{proposal.id}").get_data(as_text=True)
    assert "<script>alert" not in detail and "<img src=x" not in detail


def test_the_honeypot_is_dropped_quietly(app: Flask, campaign: Any) -> None:
    before = snapshot()
    response = app.test_client().post("/host", data=proposal_form(website="http://spam.example"))
    assert response.status_code == 303 and response.headers["Location"].endswith("/host/sent")
    assert snapshot() == before


def test_too_fast_or_replayed_gets_a_second_step_not_a_loss(app: Flask, campaign: Any) -> None:
    app.config["SIGNUP_MIN_SECONDS"] = 3
    client = app.test_client()
    fast = client.post("/host", data=proposal_form())
    assert fast.status_code == 200
    page = fast.get_data(as_text=True)
    assert "Confirm your proposal" in page and "Library evening on ketamine facts" in page
    assert _count(HostProposal) == 0
    # The second step's token needs no waiting: one click sends it.
    second = proposal_form(
        started=guard.form_token(guard.form_keys(), "host:proposal", guard.KIND_CONFIRM)
    )
    assert client.post("/host", data=second).status_code == 303
    assert _count(HostProposal) == 1
    # The same token again (a replay) gets the second step, not a second proposal.
    replay = client.post("/host", data=second)
    assert replay.status_code == 200 and "Confirm your proposal" in replay.get_data(as_text=True)
    assert _count(HostProposal) == 1
    # A registration form's token is not a proposal form's.
    other = proposal_form(
        started=guard.form_token(guard.form_keys(), "some-event", guard.KIND_CONFIRM)
    )
    assert client.post("/host", data=other).status_code == 200
    assert _count(HostProposal) == 1


def test_an_old_form_token_is_accepted(app: Flask, campaign: Any) -> None:
    token = guard.form_token(guard.form_keys(), "host:proposal", now=time.time() - 600)
    assert app.test_client().post("/host", data=proposal_form(started=token)).status_code == 303


def test_the_answer_never_tells_whether_an_address_proposed_before(
    app: Flask, campaign: Any, propose: Any
) -> None:
    first = propose()
    again = propose()
    stranger = propose(email="stranger@example.org")
    answers = [(r.status_code, r.headers.get("Location")) for r in (first, again, stranger)]
    assert answers[0] == answers[1] == answers[2]
    client = app.test_client()
    known = client.post("/host/resend", data=resend_form("ana.host@example.org"))
    unknown = client.post("/host/resend", data=resend_form("nobody@example.org"))
    assert known.status_code == unknown.status_code == 200
    assert known.get_data() == unknown.get_data()


def test_resend_mails_the_link_at_most_once_an_hour(
    app: Flask, campaign: Any, propose: Any, tmp_path: Path
) -> None:
    propose()
    [token] = host_links(app, tmp_path)
    client = app.test_client()
    client.post("/host/resend", data=resend_form("Ana.Host@example.org"))
    assert host_links(app, tmp_path) == []  # mailed within the hour already
    db.session.rollback()
    for row in db.session.scalars(db.select(OutboxMessage)):
        row.created_at = row.created_at - timedelta(hours=2)
    db.session.commit()
    client.post("/host/resend", data=resend_form("ana.host@example.org"))
    assert host_links(app, tmp_path) == [token]


def test_a_limit_keeps_what_was_typed_and_says_how_long(app: Flask, campaign: Any) -> None:
    app.config.update(RATELIMIT_ENABLED=True, SIGNUP_EMAIL_RATE_LIMIT="2 per hour")
    client = app.test_client()
    for _ in range(2):
        assert client.post("/host", data=proposal_form()).status_code == 303
    limited = client.post("/host", data=proposal_form())
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    page = limited.get_data(as_text=True)
    assert "Please wait a moment" in page and "Library evening on ketamine facts" in page
    assert _count(HostProposal) == 2


def test_the_capacity_ceiling_is_the_campaigns(
    app: Flask, campaign: Any, reviewer_client: Any
) -> None:
    response = reviewer_client.post("/manage/proposals/settings", data={"capacity_ceiling": "20"})
    assert response.status_code == 303
    refused = app.test_client().post("/host", data=proposal_form(capacity="30"))
    assert refused.status_code == 400
    assert "from 1 to 20" in (field_error(refused.get_data(as_text=True), "capacity") or "")
    assert app.test_client().post("/host", data=proposal_form(capacity="20")).status_code == 303
    bad = reviewer_client.post("/manage/proposals/settings", data={"capacity_ceiling": "0"})
    assert bad.status_code == 400


def test_no_campaign_no_form(app: Flask) -> None:
    assert app.test_client().get("/host").status_code == 404
    assert app.test_client().post("/host", data={}).status_code == 404


def test_the_form_needs_no_session(app: Flask, campaign: Any) -> None:
    """With CSRF protection on, as in production: no cookie, no CSRF token, and the
    proposal goes through on its one-time form token alone."""
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client(use_cookies=False)
    page = client.get("/host")
    assert "Set-Cookie" not in page.headers
    assert 'name="csrf_token"' not in page.get_data(as_text=True)
    assert client.post("/host", data=proposal_form()).status_code == 303
    assert _count(HostProposal) == 1


def test_the_form_page_is_never_cached_but_may_be_indexed(app: Flask, campaign: Any) -> None:
    response = app.test_client().get("/host")
    assert response.headers["Cache-Control"] == "no-store"
    assert "X-Robots-Tag" not in response.headers
    assert 'name="started"' in response.get_data(as_text=True)


def test_coordinates_proposed_reach_the_approved_event(
    app: Flask, campaign: Any, make_organizer: Any
) -> None:
    response = app.test_client().post(
        "/host", data=proposal_form(latitude="53.8008", longitude="-1.5491")
    )
    assert response.status_code == 303
    db.session.rollback()
    proposal = db.session.scalar(db.select(HostProposal))
    assert proposal is not None
    assert (proposal.latitude, proposal.longitude) == (53.8008, -1.5491)
    proposal.status = STATUS_WAITING  # as if the host confirmed their address
    reviewer = make_organizer("rev.map@example.org", admin=True)
    event = review.approve(proposal, reviewer, None, utcnow())
    assert (event.latitude, event.longitude) == (53.8008, -1.5491)
