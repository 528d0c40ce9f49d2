"""Sign-up use cases. Each takes plain values and flushes; the caller commits once.

Seat counting is exact under concurrency because every change to an event's seats
first takes that event's lock: SELECT ... FOR UPDATE on PostgreSQL, and on SQLite the
whole write transaction starts with BEGIN IMMEDIATE (one writer at a time).
"""

from __future__ import annotations

import logging
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import bindparam, case, func, insert, select, update
from sqlalchemy.orm import aliased

from campaign.campaigns.models import Campaign
from campaign.campaigns.services import CURRENT_CAMPAIGN_ID
from campaign.core.database import write_transaction
from campaign.core.pagecache import columns_state, row_state, state_columns
from campaign.core.text import has_control_characters
from campaign.core.tokens import hash_token
from campaign.events.models import STATUS_DRAFT, STATUS_PUBLISHED, Event
from campaign.events.services import plausible_slug
from campaign.extensions import db
from campaign.mail import services as mail
from campaign.signups import mails, tokens
from campaign.signups.models import (
    ACTIVE_STATUSES,
    NAME_MAX,
    STATUS_CANCELLED,
    STATUS_CONFIRMED,
    STATUS_WAITLISTED,
    Registration,
)

log = logging.getLogger(__name__)

RESEND_WINDOW = timedelta(hours=1)


class SignupError(ValueError):
    """Registration refused for a reason the person may see (not about other people)."""


class EventFull(SignupError):
    """No seat left and no waitlist."""


class InvalidSignup(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass
class SignupInput:
    name: str
    email: str
    is_consenting_to_updates: bool = False
    referral_code: str = ""


@dataclass(frozen=True)
class SignupResult:
    registration_id: int
    is_new: bool

    @property
    def registration(self) -> Registration:
        registration = db.session.get(Registration, self.registration_id)
        assert registration is not None
        return registration


def clean_input(data: SignupInput) -> SignupInput:
    """Normalise and validate; raise InvalidSignup with a message per field."""
    errors: dict[str, str] = {}
    name = unicodedata.normalize("NFC", (data.name or "").strip())
    if not name:
        errors["name"] = "Enter your name."
    elif len(name) > NAME_MAX:
        errors["name"] = f"Use at most {NAME_MAX} characters (now {len(name)})."
    elif has_control_characters(name) or "\n" in name:
        errors["name"] = "Remove the invisible control characters from your name."
    email = (data.email or "").strip()
    if not email:
        errors["email"] = "Enter your email address."
    elif len(email) > 254 or has_control_characters(email):
        errors["email"] = "Enter a valid email address, like name@example.org."
    else:
        try:
            email = validate_email(email, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            errors["email"] = "Enter a valid email address, like name@example.org."
    if errors:
        raise InvalidSignup(errors)
    code = (data.referral_code or "").strip().lower()
    if len(code) > 16 or not code.isalnum():
        code = ""
    return SignupInput(name, email, bool(data.is_consenting_to_updates), code)


def lock_event(event_id: int) -> Event | None:
    """Load the event holding its seat lock until the transaction ends."""
    write_transaction()
    return db.session.scalar(select(Event).where(Event.id == event_id).with_for_update())


def seat_counts(event_id: int) -> dict[str, int]:
    """How many registrations of each status an event has."""
    rows = db.session.execute(
        select(Registration.status, func.count())
        .where(Registration.event_id == event_id)
        .group_by(Registration.status)
    )
    counts = {STATUS_CONFIRMED: 0, STATUS_WAITLISTED: 0, STATUS_CANCELLED: 0}
    counts.update({status: n for status, n in rows})
    return counts


@dataclass(frozen=True)
class PublicPage:
    """What the public event page shows, read in one query."""

    event: Event
    campaign: Campaign | None  # the current campaign (the site's layout), not the event's
    confirmed: int
    waitlisted: int


_CurrentCampaign = aliased(Campaign, name="current_campaign")
_SEAT_COUNTS = tuple(
    select(func.count())
    .where(Registration.event_id == Event.id, Registration.status == status)
    .scalar_subquery()
    for status in (STATUS_CONFIRMED, STATUS_WAITLISTED)
)
_PUBLIC_PAGE = (
    select(Event, _CurrentCampaign, *_SEAT_COUNTS)
    .outerjoin(_CurrentCampaign, _CurrentCampaign.id == CURRENT_CAMPAIGN_ID)
    .where(Event.slug == bindparam("slug"))
)


_EventCampaign = aliased(Campaign, name="event_campaign")
_STATE_PARTS = (Event, _EventCampaign, _CurrentCampaign)
_STATE_WIDTHS = [len(state_columns(entity)) for entity in _STATE_PARTS]
_EVENT_KEYS = [column.key for column in state_columns(Event)]
_PUBLIC_PAGE_STATE = (
    select(
        *[column for entity in _STATE_PARTS for column in state_columns(entity)],
        *_SEAT_COUNTS,
    )
    .select_from(Event)
    .join(_EventCampaign, _EventCampaign.id == Event.campaign_id)
    .outerjoin(_CurrentCampaign, _CurrentCampaign.id == CURRENT_CAMPAIGN_ID)
    .where(Event.slug == bindparam("slug"))
)


@dataclass(frozen=True)
class PublicPageState:
    """Everything the public event page shows, as plain values (no ORM objects): enough
    to serve the page from memory; the page itself is rendered from public_page()."""

    event_id: int
    starts_at: datetime
    ends_at: datetime
    parts: tuple[Any, ...]  # row_state of the event, its campaign, the current campaign


def public_page_state(slug: str) -> PublicPageState | None:
    """public_page's data as a state key, read with one Core query (a cached page's whole
    database cost); None where public_page gives None."""
    if not plausible_slug(slug):
        return None
    row = db.session.connection().execute(_PUBLIC_PAGE_STATE, {"slug": slug}).first()
    if row is None:
        return None
    parts: list[Any] = []
    start = 0
    for entity, width in zip(_STATE_PARTS, _STATE_WIDTHS, strict=True):
        parts.append(columns_state(entity, row[start : start + width]))
        start += width
    event = dict(zip(_EVENT_KEYS, row[: _STATE_WIDTHS[0]], strict=True))
    if event["status"] == STATUS_DRAFT:
        return None
    confirmed, waitlisted = int(row[start]), int(row[start + 1])
    return PublicPageState(
        event["id"], event["starts_at"], event["ends_at"], (*parts, confirmed, waitlisted)
    )


def page_state(page: PublicPage) -> tuple[Any, ...]:
    """PublicPageState.parts computed from a loaded page (the two agree for the same data)."""
    event = page.event
    return (
        row_state(event),
        row_state(event.campaign),
        row_state(page.campaign),
        page.confirmed,
        page.waitlisted,
    )


def public_page(slug: str) -> PublicPage | None:
    """The event (never a draft, as events.services.public_event), the current campaign
    and the seat counts, in one query: the busiest page of the busiest day."""
    if not plausible_slug(slug):
        return None
    row = db.session.execute(_PUBLIC_PAGE, {"slug": slug}).first()
    if row is None or row[0].status == STATUS_DRAFT:
        return None
    return PublicPage(row[0], row[1], int(row[2]), int(row[3]))


def seats_left(event: Event, confirmed: int) -> int | None:
    """Free seats, or None when the event has no limit."""
    if event.capacity is None:
        return None
    return max(event.capacity - confirmed, 0)


def is_open_for_signup(event: Event, now: datetime) -> bool:
    return event.status == STATUS_PUBLISHED and event.starts_at > now


# The hot path of the busiest day is built once, at import, as plain Core statements:
# building and hashing a statement costs more than running it on SQLite.
_SEAT_COLUMNS = (Event.id, Event.status, Event.starts_at, Event.capacity, Event.is_waitlist_enabled)
_EVENT_BY_ID = select(*_SEAT_COLUMNS).where(Event.id == bindparam("key")).with_for_update()
_EVENT_BY_SLUG = select(*_SEAT_COLUMNS).where(Event.slug == bindparam("key")).with_for_update()
_SNAPSHOT_COLUMNS = (
    func.max(
        case(
            (
                # Active = not cancelled, as the partial unique index says (and no IN
                # list to expand on every execution).
                (Registration.email == bindparam("email"))
                & (Registration.status != STATUS_CANCELLED),
                Registration.id,
            )
        )
    ),
    func.count(case((Registration.status == STATUS_CONFIRMED, 1))),
    func.count(case((Registration.status == STATUS_WAITLISTED, 1))),
)
_SEAT_SNAPSHOT = select(*_SNAPSHOT_COLUMNS).where(Registration.event_id == bindparam("event_id"))
# SQLite only: the writer lock is already held (write_transaction), so the event and its
# seat snapshot can be read in one statement. PostgreSQL needs the row lock first and the
# counts in a later statement, which sees whatever the previous lock holder committed.
_EVENT_AND_SNAPSHOT_BY_SLUG = (
    select(*_SEAT_COLUMNS, *_SNAPSHOT_COLUMNS)
    .select_from(Event)
    .outerjoin(Registration, Registration.event_id == Event.id)
    .where(Event.slug == bindparam("key"))
    .group_by(Event.id)
)
_REFERRER = select(Registration.id, Registration.email).where(
    Registration.referral_code == bindparam("code"),
    Registration.event_id == bindparam("event_id"),
)
_INSERT_REGISTRATION = insert(Registration).returning(Registration.id)


def _core(statement: Any, params: dict[str, Any]) -> Any:
    """Run a prebuilt Core statement on the session's connection and transaction."""
    return db.session.connection().execute(statement, params)


def register(event_id: int, data: SignupInput, now: datetime, secret_key: str) -> SignupResult:
    """Give the person a seat, a waitlist spot, or (already registered) the same answer.

    Raises InvalidSignup for bad input, SignupError when registration is closed and
    EventFull when there is no seat and no waitlist.
    """
    data = clean_input(data)
    write_transaction()
    event = _core(_EVENT_BY_ID, {"key": event_id}).first()
    return _register_locked(event, data, now, secret_key)


def register_by_slug(slug: str, data: SignupInput, now: datetime, secret_key: str) -> SignupResult:
    """register() for the public form: one look-up, by slug, taking the seat lock."""
    data = clean_input(data)
    write_transaction()
    if db.session.get_bind().dialect.name == "sqlite":
        row = _core(_EVENT_AND_SNAPSHOT_BY_SLUG, {"key": slug, "email": data.email}).first()
        snapshot = None if row is None else (row[-3], int(row[-2]), int(row[-1]))
        return _register_locked(row, data, now, secret_key, snapshot)
    event = _core(_EVENT_BY_SLUG, {"key": slug}).first()
    return _register_locked(event, data, now, secret_key)


def _seat_snapshot(event_id: int, email: str) -> tuple[int | None, int, int]:
    """(id of this email's active registration, confirmed count, waitlisted count)."""
    row = _core(_SEAT_SNAPSHOT, {"event_id": event_id, "email": email}).one()
    return row[0], int(row[1]), int(row[2])


def _register_locked(
    event: Any,
    data: SignupInput,
    now: datetime,
    secret_key: str,
    snapshot: tuple[int | None, int, int] | None = None,
) -> SignupResult:
    """The seat decision and the inserts, with the event locked.

    This is the hot path of the busiest day, so it uses plain Core statements: the
    event's seat columns, one aggregate for the counts (`snapshot` when it was read with
    the event), two inserts.
    """
    if event is None or event.status != STATUS_PUBLISHED or event.starts_at <= now:
        raise SignupError("Registration for this event is closed.")
    existing_id, confirmed, waitlisted = snapshot or _seat_snapshot(event.id, data.email)
    free = None if event.capacity is None else max(event.capacity - confirmed, 0)
    # Nobody jumps the waitlist queue: a free seat goes to the waitlist first.
    has_seat = free is None or (free > 0 and waitlisted == 0)
    if not has_seat and not event.is_waitlist_enabled:
        # Before the duplicate check, so "full" never tells whether someone is registered.
        raise EventFull("This event is full.")
    if existing_id is not None:
        existing = db.session.get(Registration, existing_id)
        assert existing is not None
        if not mail.mailed_recently(event.id, existing.email, now, RESEND_WINDOW):
            mails.queue_status_mail(existing, secret_key, now, resend=True)
        return SignupResult(existing_id, is_new=False)
    status = STATUS_CONFIRMED if has_seat else STATUS_WAITLISTED

    referred_by = None
    if data.referral_code:
        referrer = _core(_REFERRER, {"code": data.referral_code, "event_id": event.id}).first()
        if referrer is not None and referrer.email != data.email:
            referred_by = referrer.id

    nonce = tokens.new_nonce()
    registration_id = _core(
        _INSERT_REGISTRATION,
        dict(
            event_id=event.id,
            name=data.name,
            email=data.email,
            status=status,
            token_nonce=nonce,
            token_hash=tokens.manage_token_hash(secret_key, nonce),
            referral_code=tokens.new_referral_code(),
            referred_by_id=referred_by,
            is_consenting_to_updates=data.is_consenting_to_updates,
            consent_at=now if data.is_consenting_to_updates else None,
            is_name_on_card=False,
            is_unsubscribed=False,
            created_at=now,
            confirmed_at=now if status == STATUS_CONFIRMED else None,
        ),
    ).scalar_one()
    mails.queue_new_registration(
        registration_id, data.email, event.id, status, now, position=waitlisted + 1
    )
    log.info("signup: new registration on event %s, status %s", event.id, status)
    return SignupResult(registration_id, is_new=True)


def find_by_token(token: str) -> Registration | None:
    """The live registration a manage token opens, or None (unknown or anonymised)."""
    if not token or len(token) > 100:
        return None
    registration = db.session.scalar(
        select(Registration).where(Registration.token_hash == hash_token(token))
    )
    if registration is None or registration.is_anonymised:
        return None
    return registration


def promote_waitlisted(event: Event, now: datetime, secret_key: str) -> list[Registration]:
    """Fill free seats from the front of the waitlist (event already locked)."""
    counts = seat_counts(event.id)
    free = seats_left(event, counts[STATUS_CONFIRMED])
    query = (
        select(Registration)
        .where(Registration.event_id == event.id, Registration.status == STATUS_WAITLISTED)
        .order_by(Registration.id)
    )
    if free is not None:
        if free <= 0:
            return []
        query = query.limit(free)
    promoted = list(db.session.scalars(query))
    for registration in promoted:
        registration.status = STATUS_CONFIRMED
        registration.confirmed_at = now
        mails.queue_promoted_mail(registration, secret_key, now)
    db.session.flush()
    if promoted:
        log.info("signup: promoted %d from the waitlist of event %s", len(promoted), event.id)
    return promoted


def cancel(registration: Registration, now: datetime, secret_key: str, notify: bool = True) -> None:
    """Cancel a registration; a freed seat goes to the first person on the waitlist."""
    event = lock_event(registration.event_id)
    db.session.refresh(registration)
    if registration.status == STATUS_CANCELLED:
        return
    was_confirmed = registration.is_confirmed
    registration.status = STATUS_CANCELLED
    registration.cancelled_at = now
    mail.cancel_queued_for_registration(registration.id)
    if notify:
        mails.queue_cancelled_mail(registration, secret_key, now)
    db.session.flush()
    if was_confirmed and event is not None and is_open_for_signup(event, now):
        promote_waitlisted(event, now, secret_key)


def promote_one(registration: Registration, now: datetime, secret_key: str) -> None:
    """An organizer moves one waitlisted person up, if a seat is free."""
    event = lock_event(registration.event_id)
    db.session.refresh(registration)
    if registration.status != STATUS_WAITLISTED or event is None:
        raise SignupError("Only a waitlisted person can be promoted.")
    counts = seat_counts(event.id)
    free = seats_left(event, counts[STATUS_CONFIRMED])
    if free is not None and free <= 0:
        raise SignupError("The event is full. Raise the capacity first, then promote.")
    registration.status = STATUS_CONFIRMED
    registration.confirmed_at = now
    mails.queue_promoted_mail(registration, secret_key, now)
    db.session.flush()


def set_checked_in(registration: Registration, checked_in: bool, now: datetime) -> None:
    """Mark a confirmed attendee as arrived (or undo it)."""
    write_transaction()
    db.session.refresh(registration)
    if registration.status != STATUS_CONFIRMED:
        raise SignupError("Only confirmed attendees can be checked in.")
    registration.checked_in_at = now if checked_in else None
    db.session.flush()


def anonymise(registration: Registration, now: datetime, secret_key: str) -> None:
    """Delete the person's data: cancel if active, then overwrite everything personal."""
    if registration.is_active:
        cancel(registration, now, secret_key, notify=False)
    placeholder = f"deleted-{registration.id}@anonymised.invalid"
    registration.name = "Deleted"
    registration.email = placeholder
    registration.is_consenting_to_updates = False
    registration.consent_at = None
    registration.is_name_on_card = False
    registration.token_hash = hash_token(secrets.token_urlsafe(32))
    registration.anonymised_at = now
    mail.scrub_for_registration(registration.id, placeholder)
    db.session.flush()


def anonymise_past_retention(now: datetime, days: int, secret_key: str, batch: int = 500) -> int:
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
        anonymise(registration, now, secret_key)
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
        "referral_code": registration.referral_code,
        "people_registered_through_your_link": referred or 0,
        "emails": [
            {"kind": k, "subject": s, "status": st, "queued_at": c.isoformat()}
            for k, s, st, c in messages
        ],
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def active_registrations(event_id: int) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .where(Registration.event_id == event_id, Registration.status.in_(ACTIVE_STATUSES))
            .order_by(Registration.id)
        )
    )


def on_event_updated(
    event: Event, time_or_place_changed: bool, now: datetime, secret_key: str
) -> int:
    """After an edit (event locked): fill new seats, tell registrants what changed.

    Returns how many change notices were queued.
    """
    if is_open_for_signup(event, now):
        promote_waitlisted(event, now, secret_key)
    if not time_or_place_changed or event.status != STATUS_PUBLISHED:
        return 0
    registrations = active_registrations(event.id)
    for registration in registrations:
        mails.queue_event_changed(registration, secret_key, now)
    if registrations:
        log.info("event %s changed: queued %d notices", event.id, len(registrations))
    return len(registrations)


def on_event_cancelled(event: Event, now: datetime, secret_key: str) -> int:
    """After cancelling (event locked): withdraw queued mail, tell every active registrant."""
    from campaign.mail.models import STATUS_CANCELLED as MAIL_CANCELLED
    from campaign.mail.models import STATUS_QUEUED, OutboxMessage

    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.event_id == event.id, OutboxMessage.status == STATUS_QUEUED)
        .values(status=MAIL_CANCELLED, last_error="withdrawn: event cancelled")
        .execution_options(synchronize_session=False)
    )
    registrations = active_registrations(event.id)
    for registration in registrations:
        mails.queue_event_cancelled(registration, secret_key, now)
    log.info("event %s cancelled: queued %d notices", event.id, len(registrations))
    return len(registrations)


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
