"""What a host does with their approved event from their link, as an organizer would."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext

from campaign.events import services as event_services
from campaign.events.models import Event
from campaign.events.services import EventInput
from campaign.extensions import db
from campaign.hosting.models import (
    STATUS_APPROVED,
    HostProposal,
)
from campaign.hosting.services.history import host_actor, record
from campaign.hosting.services.rules import HostingError, ProposalInvalid, settings_for
from campaign.signups import seats as signup_seats
from campaign.signups.models import Registration


def hosted_event(proposal: HostProposal) -> Event:
    """The approved proposal's event, or HostingError."""
    if proposal.status != STATUS_APPROVED or proposal.event is None:
        raise HostingError(gettext("This proposal has no event yet."))
    return proposal.event


def host_update_event(proposal: HostProposal, data: EventInput, now: datetime) -> bool:
    """The host edits their event as an organizer would: registrants hear of a new time or
    place. Returns whether the time or place changed."""
    event = hosted_event(proposal)
    ceiling = settings_for(proposal.campaign_id).capacity_ceiling
    if data.capacity is None or data.capacity > ceiling:
        raise ProposalInvalid(
            {"capacity": gettext("Enter how many people can come, from 1 to %(num)s.", num=ceiling)}
        )
    signup_seats.lock_event(event.id)
    before = event.when_text, event.place_text
    schedule = event_services.schedule_and_place(event)
    changed = event_services.update_event(event, data)
    changes = event_services.describe_changes(schedule, event_services.schedule_and_place(event))
    notices = signup_seats.on_event_updated(event, changed, now, changes)
    detail = "details changed"
    if changed:
        detail = (
            f"time or place changed: {before[0]}, {before[1]} -> {event.when_text}, "
            f"{event.place_text}; {notices} registrants notified"
        )
    record(proposal, host_actor(proposal), "edited event", now, detail)
    db.session.flush()
    return changed


def host_cancel_event(proposal: HostProposal, now: datetime) -> int:
    """The host cancels their event; registrants are told. Returns how many."""
    event = hosted_event(proposal)
    signup_seats.lock_event(event.id)
    event_services.cancel(event, now)
    told = signup_seats.on_event_cancelled(event, now)
    record(proposal, host_actor(proposal), "cancelled event", now, f"{told} registrants notified")
    db.session.flush()
    return told


def host_registration(proposal: HostProposal, registration_id: int) -> Registration | None:
    """A live registration of the host's own event, or None."""
    event = hosted_event(proposal)
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id or registration.is_anonymised:
        return None
    return registration


def host_check_in(
    proposal: HostProposal, registration: Registration, checked_in: bool, now: datetime
) -> None:
    signup_seats.set_checked_in(registration, checked_in, now)
    action = "checked in" if checked_in else "undid check-in"
    record(proposal, host_actor(proposal), action, now, f"registration {registration.id}")
    db.session.flush()


def host_message(
    proposal: HostProposal, audience: str, subject: str, body: str, now: datetime
) -> int:
    """The host writes to their event's registrants; returns how many get it."""
    from campaign.reminders.services import send_broadcast

    event = hosted_event(proposal)
    n = send_broadcast(event, None, audience, subject, body, now)
    record(proposal, host_actor(proposal), "messaged attendees", now, f"{n} recipients: {subject}")
    db.session.flush()
    return n


def host_exported(proposal: HostProposal, now: datetime) -> None:
    record(proposal, host_actor(proposal), "exported attendees", now)
