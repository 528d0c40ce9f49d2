"""Mail to a host is written in the language they proposed in: the confirmation, the
reviewer's decision (sent by an organizer browsing in English) and a resent link; a
language no longer offered falls back to the default."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from campaign.extensions import db
from tests.hosting.conftest import only_proposal, proposal_form
from tests.signups.conftest import delivered

SPANISH = {"Accept-Language": "es-ES,es;q=0.9"}


def _host_mail(app: Flask, tmp_path: Path) -> list[str]:
    return [
        str(m.message["Subject"])
        for m in delivered(app, tmp_path / "mail")
        if m.to == "ana.host@example.org"
    ]


def test_a_host_who_proposed_in_spanish_gets_every_mail_in_spanish(
    app: Flask, campaign, reviewer_client: FlaskClient, tmp_path: Path
) -> None:
    response = app.test_client().post("/host", data=proposal_form(), headers=SPANISH)
    assert response.status_code == 303
    proposal = only_proposal()
    assert proposal.language == "es"
    [subject] = _host_mail(app, tmp_path)
    assert subject == "Confirma tu correo para enviar tu propuesta de evento"

    proposal.status = "waiting"  # as if confirmed: the reviewer now decides, in English
    db.session.commit()
    response = reviewer_client.post(
        f"/manage/proposals/{proposal.id}/approve",
        data={"owner": str(reviewer_client.admin_id)},  # type: ignore[attr-defined]
    )
    assert response.status_code == 303
    [decision] = _host_mail(app, tmp_path)
    assert decision == f"Tu evento está aprobado: {proposal.title}"


def test_a_host_who_proposed_in_english_gets_english_mail(
    app: Flask, campaign, tmp_path: Path
) -> None:
    assert app.test_client().post("/host", data=proposal_form()).status_code == 303
    assert only_proposal().language == "en"
    assert _host_mail(app, tmp_path) == ["Confirm your email to send your event proposal"]


def test_a_language_no_longer_offered_falls_back_to_the_default(
    app: Flask, campaign, tmp_path: Path
) -> None:
    response = app.test_client().post("/host", data=proposal_form(), headers=SPANISH)
    assert response.status_code == 303
    app.config["LANGUAGES"] = ["en"]  # Spanish withdrawn before the mail goes out
    try:
        assert _host_mail(app, tmp_path) == ["Confirm your email to send your event proposal"]
    finally:
        app.config["LANGUAGES"] = ["en", "es"]
