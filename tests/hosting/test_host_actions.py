"""What a host does from their link: check in, export, message (preview first, limited),
cancel; each is recorded in the history organizers see."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.hosting.models import HostAction, HostProposal
from campaign.mail.models import OutboxMessage
from campaign.signups import services as signup_services
from campaign.signups.models import Registration
from tests.core.support import snapshot
from tests.hosting.conftest import only_proposal
from tests.signups.conftest import delivered


def _registrant(proposal: HostProposal, app: Flask, email: str = "robin@example.org") -> int:
    assert proposal.event_id is not None
    result = signup_services.register(
        proposal.event_id,
        signup_services.SignupInput("Robin Reg", email, False),
        utcnow(),
        app.config["SECRET_KEY"],
    )
    db.session.commit()
    return result.registration_id


def _actions() -> list[str]:
    db.session.rollback()
    return [a.action for a in db.session.scalars(db.select(HostAction).order_by(HostAction.id))]


def test_check_in_and_export(app: Flask, approved_event: tuple[HostProposal, str]) -> None:
    proposal, token = approved_event
    registration_id = _registrant(proposal, app)
    client = app.test_client()
    page = client.get(f"/host/{token}/attendees").get_data(as_text=True)
    assert "robin@example.org" in page
    response = client.post(
        f"/host/{token}/attendees/{registration_id}/check-in", data={"checked_in": "1"}
    )
    assert response.status_code == 303
    db.session.rollback()
    registration = db.session.get(Registration, registration_id)
    assert registration is not None and registration.checked_in_at is not None
    csv = client.get(f"/host/{token}/attendees/export.csv")
    assert csv.status_code == 200 and "robin@example.org" in csv.get_data(as_text=True)
    assert _actions()[-2:] == ["checked in", "exported attendees"]


def test_message_shows_a_preview_before_sending(
    app: Flask, approved_event: tuple[HostProposal, str], tmp_path: Path
) -> None:
    proposal, token = approved_event
    _registrant(proposal, app)
    delivered(app, tmp_path / "mail")
    client = app.test_client()
    data = {"audience": "confirmed", "subject": "Bring a friend", "body": "See you <b>soon</b>."}
    before = snapshot()
    preview = client.post(f"/host/{token}/message", data={**data, "step": "preview"})
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "Preview" in page and "See you &lt;b&gt;soon&lt;/b&gt;." in page
    assert snapshot() == before  # nothing sent yet
    sent = client.post(f"/host/{token}/message", data={**data, "step": "send"})
    assert sent.status_code == 303
    [mail] = [m for m in delivered(app, tmp_path / "mail") if m.kind == "broadcast"]
    assert mail.to == "robin@example.org" and "See you <b>soon</b>." in mail.text
    assert _actions()[-1] == "messaged attendees"


def test_messages_are_rate_limited(app: Flask, approved_event: tuple[HostProposal, str]) -> None:
    app.config["RATELIMIT_ENABLED"] = True
    proposal, token = approved_event
    _registrant(proposal, app)
    client = app.test_client()
    data = {"audience": "confirmed", "subject": "Hi", "body": "Hello", "step": "send"}
    for _ in range(3):
        assert client.post(f"/host/{token}/message", data=data).status_code == 303
    limited = client.post(f"/host/{token}/message", data=data)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert "Hello" in limited.get_data(as_text=True)  # the message is kept
    db.session.rollback()
    count = db.session.scalar(
        db.select(db.func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.kind == "broadcast")
    )
    assert count == 3


def test_a_message_to_nobody_says_so(app: Flask, approved_event: tuple[HostProposal, str]) -> None:
    _, token = approved_event
    data = {"audience": "confirmed", "subject": "Hi", "body": "Hello", "step": "send"}
    response = app.test_client().post(f"/host/{token}/message", data=data)
    assert response.status_code == 400
    assert "Nobody in that group" in response.get_data(as_text=True)


def test_cancel_tells_registrants_and_ends_editing(
    app: Flask, approved_event: tuple[HostProposal, str], tmp_path: Path
) -> None:
    proposal, token = approved_event
    _registrant(proposal, app)
    delivered(app, tmp_path / "mail")
    client = app.test_client()
    assert client.post(f"/host/{token}/cancel").status_code == 303
    event = only_proposal().event
    assert event is not None and event.is_cancelled
    notices = [m for m in delivered(app, tmp_path / "mail") if m.kind == "event_cancelled"]
    assert [m.to for m in notices] == ["robin@example.org"]
    assert client.post(f"/host/{token}/cancel").status_code == 303  # says it already is
    assert "already cancelled" in client.get(f"/host/{token}").get_data(as_text=True)
    assert client.get(f"/host/{token}/edit").status_code == 303
    assert _actions()[-1] == "cancelled event"


def test_a_bad_edit_changes_nothing(
    app: Flask, approved_event: tuple[HostProposal, str], reviewer_client: FlaskClient
) -> None:
    _, token = approved_event
    before = snapshot()
    response = app.test_client().post(
        f"/host/{token}/edit",
        data={
            "title": "",
            "timezone": "Europe/London",
            "starts_local": "2030-01-10T18:00",
            "ends_local": "2030-01-10T17:00",
            "format": "in_person",
            "city": "Bristol",
            "capacity": "5000",
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Give the event a title." in page and "The end must be after the start." in page
    assert snapshot() == before


def test_withdraw_before_review(app: Flask, campaign: Any, propose: Any, tmp_path: Path) -> None:
    from tests.hosting.conftest import host_links

    propose()
    [token] = host_links(app, tmp_path)
    client = app.test_client()
    assert client.post(f"/host/{token}/withdraw").status_code == 303
    assert only_proposal().status == "withdrawn"
    assert client.post(f"/host/{token}/confirm").status_code == 303
    assert only_proposal().status == "withdrawn"  # confirming later does not revive it


def test_the_host_page_links_the_flyer_while_the_event_is_public(
    app: Flask, approved_event: tuple[HostProposal, str]
) -> None:
    proposal, token = approved_event
    client = app.test_client()
    event = proposal.event
    assert event is not None
    page = client.get(f"/host/{token}").get_data(as_text=True)
    for paper in ("letter", "a4"):
        link = f"/events/{event.slug}/flyer.pdf?paper={paper}"
        assert f'href="{link}"' in page
        assert client.get(link).mimetype == "application/pdf"
    event.status = "cancelled"
    db.session.commit()
    assert "flyer.pdf" not in client.get(f"/host/{token}").get_data(as_text=True)
