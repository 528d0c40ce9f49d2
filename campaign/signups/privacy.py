"""A registrant's rights over their data: delete it (anonymise, and after retention for
everyone), export it, and stop campaign mail to their address. The caller commits."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select

from campaign.core.database import write_transaction
from campaign.core.tokens import hash_token
from campaign.events.models import Event
from campaign.extensions import db
from campaign.mail import services as mail
from campaign.signups.models import Registration
from campaign.signups.seats import cancel
from campaign.signups.tokens import new_referral_code

log = logging.getLogger(__name__)


def anonymise(registration: Registration, now: datetime) -> None:
    """Delete the person's data, keeping what happened.

    Before the event starts, an active place is cancelled (the seat goes to the waitlist).
    Once it has started, the status, the check-in and the share link the person came
    through stay, so counts, charts and referral totals remain true; only what says
    who they were is overwritten. Their own referral code is replaced, so the rows of
    people they brought no longer carry it.
    """
    event = registration.event
    if registration.is_active and (event is None or event.starts_at > now):
        cancel(registration, now, notify=False)
    else:
        mail.cancel_queued_for_registration(registration.id)
    placeholder = f"deleted-{registration.id}@anonymised.invalid"
    registration.name = "Deleted"
    registration.email = placeholder
    registration.is_consenting_to_updates = False
    registration.consent_at = None
    registration.is_name_on_card = False
    registration.is_unsubscribed = True
    registration.referral_code = new_referral_code()
    registration.token_hash = hash_token(secrets.token_urlsafe(32))
    registration.anonymised_at = now
    mail.scrub_for_registration(registration.id, placeholder)
    db.session.flush()


def anonymise_past_retention(now: datetime, days: int, batch: int = 500) -> int:
    """Anonymise registrations of events that ended more than `days` ago; returns count."""
    cutoff = now - timedelta(days=days)
    rows = list(
        db.session.scalars(
            select(Registration)
            .join(Event, Registration.event_id == Event.id)
            .where(Event.ends_at < cutoff, Registration.anonymised_at.is_(None))
            .limit(batch)
        )
    )
    for registration in rows:
        anonymise(registration, now)
    if rows:
        log.info("retention: anonymised %d registrations", len(rows))
    return len(rows)


def export_data(registration: Registration) -> dict[str, object]:
    """Everything stored about the person, for 'export my data'."""
    from campaign.mail.models import OutboxMessage

    messages = db.session.execute(
        select(
            OutboxMessage.kind,
            OutboxMessage.subject,
            OutboxMessage.status,
            OutboxMessage.created_at,
        )
        .where(OutboxMessage.registration_id == registration.id)
        .order_by(OutboxMessage.id)
    )
    referred = db.session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(Registration.referred_by_id == registration.id)
    )
    event = registration.event
    referrer = (
        db.session.get(Registration, registration.referred_by_id)
        if registration.referred_by_id
        else None
    )
    return {
        "name": registration.name,
        "email": registration.email,
        "status": registration.status,
        "event": {
            "title": event.title,
            "starts_at": event.starts_at.isoformat(),
            "ends_at": event.ends_at.isoformat(),
            "timezone": event.timezone,
        },
        "registered_at": registration.created_at.isoformat(),
        "confirmed_at": _iso(registration.confirmed_at),
        "cancelled_at": _iso(registration.cancelled_at),
        "checked_in_at": _iso(registration.checked_in_at),
        "keep_me_informed": registration.is_consenting_to_updates,
        "keep_me_informed_since": _iso(registration.consent_at),
        "first_name_on_share_card": registration.is_name_on_card,
        "unsubscribed_from_reminders_and_updates": registration.is_unsubscribed,
        # The share link that brought the person: the code they followed, not who owns it.
        "registered_through_share_link": referrer is not None,
        "share_link_code_followed": (
            referrer.referral_code if referrer is not None and not referrer.is_anonymised else None
        ),
        "referral_code": registration.referral_code,
        "people_registered_through_your_link": referred or 0,
        "emails": [
            {"kind": k, "subject": s, "status": st, "queued_at": c.isoformat()}
            for k, s, st, c in messages
        ],
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def unsubscribe(registration: Registration) -> int:
    """Stop campaign mail (reminders, broadcasts, thank-yous) to this person's address.

    Applies to every registration with the same email; returns how many changed.
    """
    write_transaction()
    rows = list(
        db.session.scalars(
            select(Registration).where(
                Registration.email == registration.email,
                Registration.is_unsubscribed.is_(False),
            )
        )
    )
    for row in rows:
        row.is_unsubscribed = True
    db.session.flush()
    return len(rows)


def resubscribe(registration: Registration) -> int:
    """Undo unsubscribe(): campaign mail to this address again; returns how many changed.

    Anonymised rows stay unsubscribed (their address is a placeholder).
    """
    write_transaction()
    rows = list(
        db.session.scalars(
            select(Registration).where(
                Registration.email == registration.email,
                Registration.is_unsubscribed.is_(True),
                Registration.anonymised_at.is_(None),
            )
        )
    )
    for row in rows:
        row.is_unsubscribed = False
    db.session.flush()
    return len(rows)
