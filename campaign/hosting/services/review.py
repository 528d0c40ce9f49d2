"""Review: the queue, and the reviewers' decisions (approve, ask for changes, decline)."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from sqlalchemy import Select, select

from campaign.core.text import has_control_characters, normalise_line_breaks
from campaign.events import services as event_services
from campaign.events.models import Event
from campaign.extensions import db
from campaign.hosting import mails
from campaign.hosting.models import (
    MESSAGE_MAX,
    STATUS_APPROVED,
    STATUS_CHANGES,
    STATUS_DECLINED,
    STATUS_UNCONFIRMED,
    STATUS_WAITING,
    HostProposal,
)
from campaign.hosting.services.history import lock, organizer_actor, record
from campaign.hosting.services.proposals import event_input
from campaign.hosting.services.rules import HostingError
from campaign.organizers.models import Organizer


def queue_query(campaign_id: int, status: str) -> Select[tuple[HostProposal]]:
    """Proposals of one status (confirmed ones only), oldest first in the queue."""
    query = select(HostProposal).where(
        HostProposal.campaign_id == campaign_id, HostProposal.status != STATUS_UNCONFIRMED
    )
    if status:
        query = query.where(HostProposal.status == status)
    return query.order_by(HostProposal.submitted_at, HostProposal.id)


def _clean_message(message: str, what: str) -> str:
    text = normalise_line_breaks(unicodedata.normalize("NFC", (message or "").strip()))
    if not text:
        raise HostingError(f"Write {what} for the host.")
    if len(text) > MESSAGE_MAX:
        raise HostingError(f"Use at most {MESSAGE_MAX} characters (now {len(text)}).")
    if has_control_characters(text, allow_newlines=True):
        raise HostingError("Remove the invisible control characters.")
    return text


def _require_waiting(proposal: HostProposal) -> None:
    lock(proposal)
    if proposal.status != STATUS_WAITING:
        raise HostingError("Only a proposal waiting for review can be decided.")


def approve(
    proposal: HostProposal, reviewer: Organizer, owner: Organizer | None, now: datetime
) -> Event:
    """Publish the proposal as an event owned by `owner` (the reviewer by default) and
    mail the host their link to manage it."""
    _require_waiting(proposal)
    owner = owner or reviewer
    if not owner.is_enabled:
        raise HostingError("Choose an active organizer as the event's owner.")
    try:
        event = event_services.create_event(proposal.campaign_id, owner, event_input(proposal))
        event_services.publish(event, now)
    except event_services.EventValidationError as exc:
        raise HostingError("The proposal's details no longer pass: " + str(exc)) from exc
    except event_services.EventError as exc:
        raise HostingError(str(exc)) from exc
    proposal.status = STATUS_APPROVED
    proposal.event_id = event.id
    proposal.decided_at = now
    proposal.review_message = ""
    detail = f"published as /events/{event.slug}, owner {owner.name}"
    record(proposal, organizer_actor(reviewer), "approved", now, detail, reviewer.id)
    db.session.flush()
    mails.queue_decision(proposal, "approved", now)
    return event


def request_changes(
    proposal: HostProposal, reviewer: Organizer, message: str, now: datetime
) -> None:
    """Send the proposal back to the host with what to change."""
    _decide_with_message(
        proposal, reviewer, message, "what to change", STATUS_CHANGES, "asked for changes", now
    )


def decline(proposal: HostProposal, reviewer: Organizer, reason: str, now: datetime) -> None:
    """Turn the proposal down, saying why; it never becomes public."""
    _decide_with_message(proposal, reviewer, reason, "the reason", STATUS_DECLINED, "declined", now)


# The decision mail each status sends (campaign.hosting.mails.queue_decision).
_DECISION_MAILS = {STATUS_CHANGES: "changes", STATUS_DECLINED: "declined"}


def _decide_with_message(
    proposal: HostProposal,
    reviewer: Organizer,
    message: str,
    what: str,
    status: str,
    action: str,
    now: datetime,
) -> None:
    """A decision that tells the host why (`what` names the message in its error): the
    proposal takes `status`, the history records `action` and the host is mailed."""
    _require_waiting(proposal)
    text = _clean_message(message, what)
    proposal.status = status
    proposal.review_message = text
    proposal.decided_at = now
    record(proposal, organizer_actor(reviewer), action, now, text, reviewer.id)
    db.session.flush()
    mails.queue_decision(proposal, _DECISION_MAILS[status], now)
