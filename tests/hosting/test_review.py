"""Who reviews: admins, and the organizers an admin allows; everyone else gets 404.
Unconfirmed proposals are not in the queue."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from campaign.hosting.models import HostProposal
from tests.conftest import login
from tests.core.support import snapshot
from tests.hosting.conftest import only_proposal


def _signed_in(app: Flask, organizer: Any) -> FlaskClient:
    client = app.test_client()
    assert login(client, organizer.email).status_code == 302
    return client


def test_an_organizer_not_allowed_gets_404_everywhere(
    app: Flask,
    make_organizer: Callable[..., Any],
    confirmed_proposal: tuple[HostProposal, str],
) -> None:
    proposal, _ = confirmed_proposal
    client = _signed_in(app, make_organizer(email="plain@example.org"))
    before = snapshot()
    for path in (
        "/manage/proposals",
        f"/manage/proposals/{proposal.id}",
        "/manage/proposals/settings",
    ):
        assert client.get(path).status_code == 404, path
    for action, data in (
        ("approve", {"owner": "1"}),
        ("changes", {"message": "x"}),
        ("decline", {"reason": "x"}),
    ):
        assert (
            client.post(f"/manage/proposals/{proposal.id}/{action}", data=data).status_code == 404
        )
    assert snapshot() == before
    dashboard = client.get("/manage/").get_data(as_text=True)
    assert "Proposals waiting" not in dashboard and ">Proposals<" not in dashboard


def test_an_admin_allows_an_organizer_to_review(
    app: Flask,
    make_organizer: Callable[..., Any],
    reviewer_client: FlaskClient,
    confirmed_proposal: tuple[HostProposal, str],
    tmp_path: Path,
) -> None:
    proposal, _ = confirmed_proposal
    sam = make_organizer(email="sam@example.org")
    response = reviewer_client.post(
        "/manage/proposals/settings", data={"capacity_ceiling": "200", "reviewers": [str(sam.id)]}
    )
    assert response.status_code == 303
    client = _signed_in(app, sam)
    assert "Proposals waiting" in client.get("/manage/").get_data(as_text=True)
    assert client.get("/manage/proposals/settings").status_code == 404  # admins only
    response = client.post(f"/manage/proposals/{proposal.id}/approve", data={"owner": str(sam.id)})
    assert response.status_code == 303
    approved = only_proposal()
    assert approved.event is not None and approved.event.organizer_id == sam.id
    # Sam's own event now: Sam sees its host page.
    assert client.get(f"/manage/events/{approved.event_id}/host").status_code == 200
    # Withdrawn again: Sam no longer reviews.
    reviewer_client.post("/manage/proposals/settings", data={"capacity_ceiling": "200"})
    assert client.get("/manage/proposals").status_code == 404


def test_unconfirmed_proposals_are_not_in_the_queue(
    app: Flask, campaign: Any, propose: Any, reviewer_client: FlaskClient
) -> None:
    propose()
    proposal = only_proposal()
    assert "Library evening" not in reviewer_client.get("/manage/proposals").get_data(as_text=True)
    assert reviewer_client.get(f"/manage/proposals/{proposal.id}").status_code == 404
    response = reviewer_client.post(
        f"/manage/proposals/{proposal.id}/approve",
        data={"owner": str(reviewer_client.admin_id)},  # type: ignore[attr-defined]
    )
    assert response.status_code == 404
    assert only_proposal().status == "unconfirmed"


def test_approving_without_a_valid_owner_changes_nothing(
    app: Flask, reviewer_client: FlaskClient, confirmed_proposal: tuple[HostProposal, str]
) -> None:
    proposal, _ = confirmed_proposal
    before = snapshot()
    response = reviewer_client.post(
        f"/manage/proposals/{proposal.id}/approve", data={"owner": "99999"}
    )
    assert response.status_code == 400
    assert snapshot() == before


def test_an_event_without_a_host_says_so(
    app: Flask, reviewer_client: FlaskClient, make_organizer: Callable[..., Any], make_event: Any
) -> None:
    event = make_event(make_organizer())
    page = reviewer_client.get(f"/manage/events/{event.id}/host").get_data(as_text=True)
    assert "no supporter hosts it" in page
    before = snapshot()
    for action in ("revoke", "new-link"):
        response = reviewer_client.post(f"/manage/events/{event.id}/host/{action}")
        assert response.status_code == 303
    assert snapshot() == before
    followed = reviewer_client.get(f"/manage/events/{event.id}/host").get_data(as_text=True)
    assert "This event has no host." in followed


def test_a_second_decision_is_refused(
    app: Flask, reviewer_client: FlaskClient, confirmed_proposal: tuple[HostProposal, str]
) -> None:
    """Two reviewers (or a double click): the second decision finds the proposal decided
    and changes nothing; one event only."""
    import pytest

    from campaign.core.timeutil import utcnow
    from campaign.events.models import Event
    from campaign.extensions import db
    from campaign.hosting.services import review, rules
    from campaign.organizers.models import Organizer

    stale, _ = confirmed_proposal
    assert stale.status == "waiting"
    owner = str(reviewer_client.admin_id)  # type: ignore[attr-defined]
    assert (
        reviewer_client.post(
            f"/manage/proposals/{stale.id}/approve", data={"owner": owner}
        ).status_code
        == 303
    )
    admin = db.session.get(Organizer, reviewer_client.admin_id)  # type: ignore[attr-defined]
    assert admin is not None
    with pytest.raises(rules.HostingError, match="waiting for review"):
        review.decline(stale, admin, "Too late", utcnow())
    db.session.rollback()
    assert only_proposal().status == "approved"
    assert db.session.scalar(db.select(db.func.count()).select_from(Event)) == 1


def test_simultaneous_approvals_publish_one_event(
    app: Flask, reviewer_client: FlaskClient, confirmed_proposal: tuple[HostProposal, str]
) -> None:
    """Eight reviewers press Approve at the same moment: one event, seven refusals."""
    import threading

    from campaign.events.models import Event
    from campaign.extensions import db

    proposal, _ = confirmed_proposal
    owner = str(reviewer_client.admin_id)  # type: ignore[attr-defined]
    cookie = reviewer_client.get_cookie("session")
    assert cookie is not None
    start = threading.Barrier(8)
    statuses: list[int] = []

    def press() -> None:
        with app.app_context():  # each thread its own context, so its own session
            client = app.test_client()
            client.set_cookie(cookie.key, cookie.value)
            start.wait()
            response = client.post(
                f"/manage/proposals/{proposal.id}/approve", data={"owner": owner}
            )
            statuses.append(response.status_code)
            db.session.remove()

    threads = [threading.Thread(target=press) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [303] + [409] * 7, statuses
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(Event)) == 1
