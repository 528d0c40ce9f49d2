"""Proposing: the host's details and event checked, saved, confirmed, edited, withdrawn;
and the purge of proposals never confirmed."""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from flask_babel import gettext
from sqlalchemy import delete, select

from campaign.core.text import has_control_characters, normalise_line_breaks
from campaign.core.timeutil import to_local
from campaign.events import services as event_services
from campaign.events.services import EventInput
from campaign.extensions import db
from campaign.hosting import mails
from campaign.hosting.models import (
    HOST_NAME_MAX,
    NOTE_MAX,
    STATUS_CHANGES,
    STATUS_UNCONFIRMED,
    STATUS_WAITING,
    STATUS_WITHDRAWN,
    HostAction,
    HostProposal,
)
from campaign.hosting.services.history import host_actor, lock, record
from campaign.hosting.services.links import issue_link
from campaign.hosting.services.rules import HostingError, ProposalInvalid, settings_for
from campaign.signups import services as signup_services

log = logging.getLogger(__name__)

UNCONFIRMED_DAYS = 7
# The fields of EventInput a proposal keeps as they are (times are kept as instants; whether
# the page shows how many are going is the organizers' choice, made after approval).
_NOT_PROPOSED = ("starts_local", "ends_local", "is_going_count_public")
_DETAILS = tuple(f.name for f in fields(EventInput) if f.name not in _NOT_PROPOSED)


@dataclass
class HostDetails:
    """Who proposes: their name, email and a note to the campaign, and the locale the form
    was shown in (mail to the host follows it)."""

    name: str
    email: str
    note: str = ""
    language: str = signup_services.DEFAULT_LANGUAGE


def clean_proposal(
    host: HostDetails, data: EventInput, capacity_ceiling: int
) -> tuple[HostDetails, datetime, datetime]:
    """Check the host's details and the event's; (cleaned host, starts_at, ends_at) or
    ProposalInvalid with every problem at once. data is normalised in place."""
    errors: dict[str, str] = {}
    try:
        cleaned = signup_services.clean_input(signup_services.SignupInput(host.name, host.email))
    except signup_services.InvalidSignup as exc:
        errors.update(exc.errors)
        cleaned = signup_services.SignupInput(host.name, host.email)
    if len(cleaned.name) > HOST_NAME_MAX:
        errors["name"] = gettext("Use at most %(limit)s characters.", limit=HOST_NAME_MAX)
    note = normalise_line_breaks(unicodedata.normalize("NFC", (host.note or "").strip()))
    if len(note) > NOTE_MAX:
        errors["note"] = gettext(
            "Use at most %(limit)s characters (now %(now)s).", limit=NOTE_MAX, now=len(note)
        )
    elif has_control_characters(note, allow_newlines=True):
        errors["note"] = gettext("Remove the invisible control characters.")
    starts_at = ends_at = None
    try:
        starts_at, ends_at = event_services.validate(data)
    except event_services.EventValidationError as exc:
        errors.update(exc.errors)
    if "capacity" not in errors and (data.capacity is None or data.capacity > capacity_ceiling):
        errors["capacity"] = gettext(
            "Enter how many people can come, from 1 to %(num)s.", num=capacity_ceiling
        )
    if errors or starts_at is None or ends_at is None:
        raise ProposalInvalid(errors)
    language = signup_services.clean_language(host.language)
    return HostDetails(cleaned.name, cleaned.email, note, language), starts_at, ends_at


def _apply(
    proposal: HostProposal, data: EventInput, starts_at: datetime, ends_at: datetime
) -> None:
    for name in _DETAILS:
        setattr(proposal, name, getattr(data, name))
    if proposal.format == "online":
        proposal.venue = proposal.address = ""
        proposal.latitude = proposal.longitude = None
    proposal.starts_at, proposal.ends_at = starts_at, ends_at


def event_input(proposal: HostProposal) -> EventInput:
    """The proposal's details as the event form's plain values (times as wall-clock)."""
    values = {name: getattr(proposal, name) for name in _DETAILS}
    return EventInput(
        starts_local=to_local(proposal.starts_at, proposal.timezone).replace(tzinfo=None),
        ends_local=to_local(proposal.ends_at, proposal.timezone).replace(tzinfo=None),
        **values,
    )


def propose(
    campaign_id: int, host: HostDetails, data: EventInput, now: datetime, secret_key: str
) -> HostProposal:
    """Save a new proposal (not in the queue until the host confirms their email) and mail
    the host the confirmation link."""
    ceiling = settings_for(campaign_id).capacity_ceiling
    cleaned, starts_at, ends_at = clean_proposal(host, data, ceiling)
    proposal = HostProposal(
        campaign_id=campaign_id,
        status=STATUS_UNCONFIRMED,
        host_name=cleaned.name,
        host_email=cleaned.email,
        note=cleaned.note,
        language=cleaned.language,
        created_at=now,
    )
    issue_link(proposal, secret_key)
    _apply(proposal, data, starts_at, ends_at)
    db.session.add(proposal)
    db.session.flush()
    record(proposal, host_actor(proposal), "proposed", now, proposal.title)
    mails.queue_confirm(proposal, now)
    log.info("hosting: proposal %s sent, waiting for the email confirmation", proposal.id)
    return proposal


def confirm_email(proposal: HostProposal, now: datetime) -> bool:
    """The host opened their link and confirmed: the proposal joins the review queue.
    False when it was confirmed before (nothing changes)."""
    lock(proposal)
    if proposal.status != STATUS_UNCONFIRMED:
        return False
    proposal.status = STATUS_WAITING
    proposal.confirmed_at = proposal.submitted_at = now
    record(proposal, host_actor(proposal), "confirmed email", now)
    db.session.flush()
    return True


def host_edit_proposal(
    proposal: HostProposal, host_note: str, data: EventInput, now: datetime
) -> None:
    """The host changes a proposal that is with them; one sent back for changes goes back
    into the queue."""
    lock(proposal)
    if not proposal.is_editable_by_host:
        raise HostingError(
            gettext("This proposal is being reviewed or was decided; it cannot be changed.")
        )
    ceiling = settings_for(proposal.campaign_id).capacity_ceiling
    host = HostDetails(proposal.host_name, proposal.host_email, host_note)
    cleaned, starts_at, ends_at = clean_proposal(host, data, ceiling)
    _apply(proposal, data, starts_at, ends_at)
    proposal.note = cleaned.note
    if proposal.status == STATUS_CHANGES:
        proposal.status = STATUS_WAITING
        proposal.submitted_at = now
        record(proposal, host_actor(proposal), "resubmitted", now, proposal.title)
    else:
        record(proposal, host_actor(proposal), "edited proposal", now, proposal.title)
    db.session.flush()


def withdraw(proposal: HostProposal, now: datetime) -> None:
    """The host takes back a proposal that is not decided yet."""
    lock(proposal)
    if proposal.status not in (STATUS_UNCONFIRMED, STATUS_WAITING, STATUS_CHANGES):
        raise HostingError(gettext("Only a proposal that is not decided yet can be withdrawn."))
    proposal.status = STATUS_WITHDRAWN
    record(proposal, host_actor(proposal), "withdrew proposal", now)
    db.session.flush()


def purge_unconfirmed(now: datetime, days: int = UNCONFIRMED_DAYS) -> int:
    """Delete proposals whose email was never confirmed within `days`, with their queued
    mail; returns how many."""
    stale = list(
        db.session.scalars(
            select(HostProposal).where(
                HostProposal.status == STATUS_UNCONFIRMED,
                HostProposal.created_at < now - timedelta(days=days),
            )
        )
    )
    for proposal in stale:
        mails.forget_mail(proposal)
        db.session.execute(delete(HostAction).where(HostAction.proposal_id == proposal.id))
        db.session.delete(proposal)
    db.session.flush()
    if stale:
        log.info("hosting: removed %d proposals never confirmed", len(stale))
    return len(stale)
