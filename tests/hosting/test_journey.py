"""The whole journey as a new user meets it: propose at /host, confirm by mail, an admin
approves from the queue, the event is on /events, the host changes its time from their
private link and the registrants get the change notice. A declined proposal never shows."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from campaign.events.models import Event
from campaign.extensions import db
from campaign.hosting.models import HostAction, HostProposal
from campaign.mail.models import OutboxMessage
from campaign.signups import services as signup_services
from tests.hosting.conftest import host_links, next_week, only_proposal, proposal_form
from tests.signups.conftest import delivered

TITLE = "Library evening on ketamine facts"


def _public_pages(client: FlaskClient, slug: str | None = None) -> str:
    pages = ["/", "/events", "/calendar.ics", "/events?city=Bristol"]
    if slug:
        pages.append(f"/events/{slug}")
    return "".join(client.get(p).get_data(as_text=True) for p in pages)


def test_propose_confirm_approve_publish_and_change_time(
    app: Flask, campaign: Any, reviewer_client: FlaskClient, tmp_path: Path
) -> None:
    visitor = app.test_client()
    form_page = visitor.get("/host")
    assert form_page.status_code == 200
    assert "Host an event in your town" in form_page.get_data(as_text=True)
    assert 'href="/host"' in visitor.get("/events").get_data(as_text=True)

    response = visitor.post("/host", data=proposal_form())
    assert response.status_code == 303 and response.headers["Location"].endswith("/host/sent")
    assert "Check your inbox" in visitor.get("/host/sent").get_data(as_text=True)
    # Not in the queue, not public, before the email is confirmed.
    assert TITLE not in reviewer_client.get("/manage/proposals").get_data(as_text=True)
    assert TITLE not in _public_pages(visitor)

    [token] = host_links(app, tmp_path)
    page = visitor.get(f"/host/{token}").get_data(as_text=True)
    assert "Confirm my email" in page
    assert only_proposal().status == "unconfirmed"  # opening the link alone changes nothing
    assert visitor.post(f"/host/{token}/confirm").status_code == 303
    proposal = only_proposal()
    assert proposal.status == "waiting"

    queue = reviewer_client.get("/manage/proposals").get_data(as_text=True)
    assert TITLE in queue
    assert "Proposals waiting" in reviewer_client.get("/manage/").get_data(as_text=True)
    detail = reviewer_client.get(f"/manage/proposals/{proposal.id}").get_data(as_text=True)
    assert "I run the book club" in detail
    assert TITLE not in _public_pages(visitor)

    response = reviewer_client.post(
        f"/manage/proposals/{proposal.id}/approve",
        data={"owner": str(reviewer_client.admin_id)},  # type: ignore[attr-defined]
    )
    assert response.status_code == 303
    proposal = only_proposal()
    assert proposal.status == "approved" and proposal.event is not None
    event = proposal.event
    assert event.status == "published" and event.capacity == 30
    assert TITLE in _public_pages(visitor, event.slug)
    decision = [m for m in delivered(app, tmp_path / "mail") if m.kind == "host_decision"]
    assert len(decision) == 1 and "approved" in str(decision[0].message["Subject"])
    assert f"/host/{token}" in decision[0].text  # the same link, re-made from the nonce
    assert f"/events/{event.slug}" in decision[0].text
    # The outbox shows the mails to the host.
    outbox = reviewer_client.get("/manage/outbox").get_data(as_text=True)
    assert "host decision" in outbox and "host confirm" in outbox
    detail = reviewer_client.get(f"/manage/proposals/{proposal.id}").get_data(as_text=True)
    assert "host decision: approved" in detail and "host confirm" in detail

    # Two people register; the host moves the event an hour later from the private link.
    for name, email in (("Robin Reg", "robin@example.org"), ("Kim Reg", "kim@example.org")):
        signup_services.register(
            event.id,
            signup_services.SignupInput(name, email, False),
            event.created_at,
            app.config["SECRET_KEY"],
        )
    db.session.commit()
    delivered(app, tmp_path / "mail")  # their confirmations
    edit = visitor.get(f"/host/{token}/edit")
    assert edit.status_code == 200
    form = proposal_form(starts_local=next_week(19), ends_local=next_week(21))
    for key in ("name", "email", "note", "started"):
        form.pop(key)
    response = visitor.post(f"/host/{token}/edit", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.rollback()
    moved = db.session.get(Event, event.id)
    assert moved is not None and moved.sequence == 1
    notices = [m for m in delivered(app, tmp_path / "mail") if m.kind == "event_changed"]
    assert sorted(m.to for m in notices) == ["kim@example.org", "robin@example.org"]
    assert "19:00" in notices[0].text

    # Organizers see who did it, and when.
    history = db.session.scalars(db.select(HostAction).order_by(HostAction.id)).all()
    actions = [h.action for h in history]
    assert actions == ["proposed", "confirmed email", "approved", "edited event"]
    assert (
        "ana.host@example.org" in history[-1].actor
        and "2 registrants notified" in history[-1].detail
    )
    host_page = reviewer_client.get(f"/manage/events/{event.id}/host").get_data(as_text=True)
    assert "edited event" in host_page and "Ana Host" in host_page


def test_a_declined_proposal_never_appears_anywhere_public(
    app: Flask,
    campaign: Any,
    reviewer_client: FlaskClient,
    confirmed_proposal: tuple[HostProposal, str],
    tmp_path: Path,
) -> None:
    proposal, token = confirmed_proposal
    visitor = app.test_client()
    response = reviewer_client.post(
        f"/manage/proposals/{proposal.id}/decline", data={"reason": "We already have one nearby."}
    )
    assert response.status_code == 303
    assert only_proposal().status == "declined"
    assert db.session.scalar(db.select(db.func.count()).select_from(Event)) == 0
    assert TITLE not in _public_pages(visitor)
    [mail] = [m for m in delivered(app, tmp_path / "mail") if m.kind == "host_decision"]
    assert "We already have one nearby." in mail.text
    host_page = visitor.get(f"/host/{token}").get_data(as_text=True)
    assert "declined" in host_page
    # Nothing can be approved after a decline.
    again = reviewer_client.post(f"/manage/proposals/{proposal.id}/approve", data={"owner": "1"})
    assert again.status_code in (400, 409)
    assert db.session.scalar(db.select(db.func.count()).select_from(Event)) == 0


def test_changes_requested_then_resubmitted_goes_back_to_the_queue(
    app: Flask,
    campaign: Any,
    reviewer_client: FlaskClient,
    confirmed_proposal: tuple[HostProposal, str],
    tmp_path: Path,
) -> None:
    proposal, token = confirmed_proposal
    visitor = app.test_client()
    empty = reviewer_client.post(f"/manage/proposals/{proposal.id}/changes", data={"message": " "})
    assert empty.status_code == 400 and only_proposal().status == "waiting"
    response = reviewer_client.post(
        f"/manage/proposals/{proposal.id}/changes", data={"message": "Please add an address."}
    )
    assert response.status_code == 303 and only_proposal().status == "changes"
    mails = [m for m in delivered(app, tmp_path / "mail") if m.kind == "host_decision"]
    assert "Please add an address." in mails[-1].text and f"/host/{token}" in mails[-1].text
    assert "Please add an address." in visitor.get(f"/host/{token}").get_data(as_text=True)
    form = proposal_form(address="1 College Green")
    for key in ("name", "email", "started"):
        form.pop(key)
    assert visitor.post(f"/host/{token}/edit", data=form).status_code == 303
    proposal = only_proposal()
    assert proposal.status == "waiting" and proposal.address == "1 College Green"
    # In review, the host can no longer change it.
    assert visitor.get(f"/host/{token}/edit").status_code == 404


def test_every_decision_mails_the_host_and_queue_counts(
    app: Flask, campaign: Any, reviewer_client: FlaskClient, propose: Any, tmp_path: Path
) -> None:
    for n in range(3):
        assert propose(email=f"host{n}@example.org", title=f"Talk {n}").status_code == 303
    for message in delivered(app, tmp_path / "mail"):
        [token] = re.findall(r"/host/([A-Za-z0-9_-]{20,})", message.text)
        app.test_client().post(f"/host/{token}/confirm")
    db.session.rollback()
    ids = [p.id for p in db.session.scalars(db.select(HostProposal).order_by(HostProposal.id))]
    page = reviewer_client.get("/manage/proposals").get_data(as_text=True)
    assert "3 proposals wait" in page
    owner = str(reviewer_client.admin_id)  # type: ignore[attr-defined]
    reviewer_client.post(f"/manage/proposals/{ids[0]}/approve", data={"owner": owner})
    reviewer_client.post(f"/manage/proposals/{ids[1]}/changes", data={"message": "Shorter title"})
    reviewer_client.post(f"/manage/proposals/{ids[2]}/decline", data={"reason": "Too far away"})
    assert "0 proposals wait" in reviewer_client.get("/manage/proposals").get_data(as_text=True)
    sent = {m.to for m in delivered(app, tmp_path / "mail") if m.kind == "host_decision"}
    assert sent == {"host0@example.org", "host1@example.org", "host2@example.org"}
    db.session.rollback()
    assert (
        db.session.scalar(
            db.select(db.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.kind == "host_decision")
        )
        == 3
    )


def test_a_past_start_cannot_be_approved_and_says_why(
    app: Flask, campaign: Any, reviewer_client: FlaskClient, propose: Any, tmp_path: Path
) -> None:
    yesterday = f"{date.today() - timedelta(days=2):%Y-%m-%d}"
    propose(starts_local=f"{yesterday}T10:00", ends_local=f"{yesterday}T11:00")
    [token] = host_links(app, tmp_path)
    app.test_client().post(f"/host/{token}/confirm")
    proposal = only_proposal()
    response = reviewer_client.post(
        f"/manage/proposals/{proposal.id}/approve",
        data={"owner": str(reviewer_client.admin_id)},  # type: ignore[attr-defined]
    )
    assert response.status_code == 409
    assert "already ended" in response.get_data(as_text=True)
    assert only_proposal().status == "waiting"
    assert db.session.scalar(db.select(db.func.count()).select_from(Event)) == 0
