"""The mails a registration's changes cause, queued into the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app

from campaign.core.urls import absolute_url
from campaign.events import calendar
from campaign.events.models import Event
from campaign.mail import models as kinds
from campaign.mail import services as mail
from campaign.signups.models import Registration
from campaign.signups.tokens import manage_token


def reply_to_for(event: Event) -> str | None:
    """The organizer's address for replies (never the From), or the campaign contact."""
    organizer = event.organizer
    if organizer is not None and organizer.is_enabled and organizer.password_hash:
        return organizer.email
    return event.campaign.contact_email or None


def links_for(registration: Registration, secret_key: str) -> dict[str, Any]:
    """Every link a registrant's mail may need, absolute, from BASE_URL."""
    event = registration.event
    event_url = absolute_url("events.detail", slug=event.slug)
    join_url = event.join_url if registration.is_confirmed and event.join_url else None
    return {
        "event_url": event_url,
        "manage_url": absolute_url(
            "signups.manage", token=manage_token(secret_key, registration.token_nonce)
        ),
        "share_url": absolute_url("events.detail", slug=event.slug, ref=registration.referral_code),
        "ics_url": absolute_url("events.calendar_file", slug=event.slug),
        "events_url": absolute_url("events.index"),
        "google_url": calendar.google_calendar_link(event, event_url, join_url),
        "outlook_url": calendar.outlook_calendar_link(event, event_url, join_url),
        "join_url": join_url,
    }


def _ics(registration: Registration, links: dict[str, Any]) -> str:
    event = registration.event
    return calendar.event_calendar(
        event, current_app.config["BASE_URL"], links["event_url"], links["join_url"]
    ).decode()


def _queue(
    kind: str,
    template: str,
    registration: Registration,
    secret_key: str,
    now: datetime,
    *,
    with_ics: bool,
    dedupe: str | None,
    **extra: Any,
) -> None:
    event = registration.event
    links = links_for(registration, secret_key)
    context = {
        "registration": registration,
        "event": event,
        "campaign": event.campaign,
        **links,
        **extra,
    }
    mail.enqueue(
        mail.Mail(
            kind=kind,
            to_email=registration.email,
            template=template,
            context=context,
            event_id=event.id,
            registration_id=registration.id,
            reply_to=reply_to_for(event),
            ics=_ics(registration, links) if with_ics else None,
            dedupe_key=dedupe,
        ),
        now,
    )


def queue_status_mail(
    registration: Registration, secret_key: str, now: datetime, resend: bool = False
) -> None:
    """'You're in' or 'You're on the waitlist' (again, when they register twice)."""
    suffix = f":resend:{int(now.timestamp())}" if resend else ""
    if registration.is_confirmed:
        _queue(
            kinds.KIND_CONFIRMED,
            "registration_confirmed",
            registration,
            secret_key,
            now,
            with_ics=True,
            dedupe=f"reg:{registration.id}:confirmed{suffix}",
            resend=resend,
        )
    else:
        _queue(
            kinds.KIND_WAITLISTED,
            "waitlisted",
            registration,
            secret_key,
            now,
            with_ics=False,
            dedupe=f"reg:{registration.id}:waitlisted{suffix}",
            resend=resend,
            position=waitlist_position(registration),
        )


def queue_promoted_mail(registration: Registration, secret_key: str, now: datetime) -> None:
    _queue(
        kinds.KIND_PROMOTED,
        "promoted",
        registration,
        secret_key,
        now,
        with_ics=True,
        dedupe=f"reg:{registration.id}:promoted",
    )


def queue_cancelled_mail(registration: Registration, secret_key: str, now: datetime) -> None:
    _queue(
        kinds.KIND_CANCELLED_BY_YOU,
        "registration_cancelled",
        registration,
        secret_key,
        now,
        with_ics=False,
        dedupe=f"reg:{registration.id}:cancelled",
    )


def waitlist_position(registration: Registration) -> int:
    """1 for the first person on the waitlist."""
    from sqlalchemy import func, select

    from campaign.extensions import db
    from campaign.signups.models import STATUS_WAITLISTED

    ahead = db.session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.event_id == registration.event_id,
            Registration.status == STATUS_WAITLISTED,
            Registration.id < registration.id,
        )
    )
    return int(ahead or 0) + 1


def queue_event_changed(registration: Registration, secret_key: str, now: datetime) -> None:
    """The time or place changed: tell the registrant, with the updated calendar entry."""
    event = registration.event
    _queue(
        kinds.KIND_EVENT_CHANGED,
        "event_changed",
        registration,
        secret_key,
        now,
        with_ics=True,
        dedupe=f"event:{event.id}:changed:{event.sequence}:{registration.id}",
    )


def queue_event_cancelled(registration: Registration, secret_key: str, now: datetime) -> None:
    """The event is cancelled: tell the registrant and withdraw the calendar entry."""
    event = registration.event
    _queue(
        kinds.KIND_EVENT_CANCELLED,
        "event_cancelled",
        registration,
        secret_key,
        now,
        with_ics=True,
        dedupe=f"event:{event.id}:cancelled:{registration.id}",
    )
