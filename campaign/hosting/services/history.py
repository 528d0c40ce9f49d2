"""A proposal's history (who did what, when) and the row lock every decision takes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from campaign.core.database import write_transaction
from campaign.extensions import db
from campaign.hosting.models import (
    HostAction,
    HostProposal,
)
from campaign.organizers.models import Organizer


def lock(proposal: HostProposal) -> None:
    """Hold the proposal's row until the transaction ends and read its state afresh, so
    two decisions (a double click, two reviewers) cannot both act on one state."""
    write_transaction()
    db.session.refresh(proposal, with_for_update=True)


# --- history -------------------------------------------------------------------------------


def host_actor(proposal: HostProposal) -> str:
    return f"{proposal.host_name} <{proposal.host_email}> (host, by private link)"


def organizer_actor(organizer: Organizer) -> str:
    return f"{organizer.name} <{organizer.email}> (organizer)"


def record(
    proposal: HostProposal,
    actor: str,
    action: str,
    now: datetime,
    detail: str = "",
    organizer_id: int | None = None,
) -> None:
    """Add one line to the proposal's history."""
    db.session.add(
        HostAction(
            proposal_id=proposal.id,
            organizer_id=organizer_id,
            actor=actor[:400],
            action=action,
            detail=detail,
            created_at=now,
        )
    )


def history(proposal_id: int) -> list[HostAction]:
    """The proposal's history, oldest first."""
    return list(
        db.session.scalars(
            select(HostAction)
            .where(HostAction.proposal_id == proposal_id)
            .order_by(HostAction.created_at, HostAction.id)
        )
    )


def proposal_for_event(event_id: int) -> HostProposal | None:
    return db.session.scalar(select(HostProposal).where(HostProposal.event_id == event_id))
