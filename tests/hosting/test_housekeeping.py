"""Housekeeping removes proposals whose email was never confirmed within a week, with
their queued mail; confirmed and younger ones stay."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.hosting.models import HostAction, HostProposal
from campaign.mail.models import OutboxMessage
from campaign.scheduler import run_housekeeping
from tests.hosting.conftest import host_links


def _age(email: str, days: float) -> None:
    db.session.rollback()
    proposal = db.session.scalar(db.select(HostProposal).where(HostProposal.host_email == email))
    assert proposal is not None
    proposal.created_at -= timedelta(days=days)
    db.session.commit()


def test_stale_unconfirmed_proposals_are_removed(
    app: Flask, campaign: Any, propose: Any, tmp_path: Path
) -> None:
    propose(email="stale@example.org")  # its confirmation mail stays queued
    propose(email="young@example.org")
    propose(email="confirmed@example.org")
    db.session.rollback()
    confirmed = db.session.scalar(
        db.select(HostProposal).where(HostProposal.host_email == "confirmed@example.org")
    )
    assert confirmed is not None
    confirmed.status = "waiting"
    db.session.commit()
    _age("stale@example.org", 7.1)
    _age("young@example.org", 6.9)
    _age("confirmed@example.org", 30)

    result = run_housekeeping(utcnow())
    assert result["proposals_purged"] == 1
    db.session.rollback()
    left = sorted(db.session.scalars(db.select(HostProposal.host_email)))
    assert left == ["confirmed@example.org", "young@example.org"]
    assert (
        db.session.scalar(
            db.select(db.func.count())
            .select_from(HostAction)
            .where(HostAction.action == "proposed")
        )
        == 2
    )
    stale_mail = db.session.scalars(
        db.select(OutboxMessage).where(OutboxMessage.to_email == "stale@example.org")
    ).all()
    assert [m.status for m in stale_mail] == ["cancelled"]
    assert host_links(app, tmp_path, to="stale@example.org") == []
    # Running it again finds nothing more.
    assert run_housekeeping(utcnow())["proposals_purged"] == 0


def test_a_removed_proposals_link_is_not_valid(
    app: Flask, campaign: Any, propose: Any, tmp_path: Path
) -> None:
    propose()
    [token] = host_links(app, tmp_path)
    _age("ana.host@example.org", 8)
    run_housekeeping(utcnow())
    response = app.test_client().post(f"/host/{token}/confirm")
    assert response.status_code == 404
    assert "This link is not valid" in response.get_data(as_text=True)


def test_a_new_proposal_after_a_removal_is_mailed(
    app: Flask, campaign: Any, propose: Any, tmp_path: Path
) -> None:
    """The removed proposal's id may be used again (SQLite): its mail must not block it."""
    propose()
    host_links(app, tmp_path)
    _age("ana.host@example.org", 8)
    run_housekeeping(utcnow())
    assert propose().status_code == 303
    assert len(host_links(app, tmp_path)) == 1
