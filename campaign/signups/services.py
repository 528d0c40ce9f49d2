"""Signing up: what the form sends, checked; a seat or a waitlist spot; the mail again; a
manage link opened. Each takes plain values and flushes; the caller commits once.

Seat counting is exact under concurrency because every change to an event's seats
first takes that event's lock: SELECT ... FOR UPDATE on PostgreSQL, and on SQLite the
whole write transaction starts with BEGIN IMMEDIATE (one writer at a time). What happens
to a seat after that (waitlist, cancelling, check-in) is campaign.signups.seats.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from campaign.core.database import write_transaction
from campaign.core.forms import FieldErrors
from campaign.core.text import has_control_characters
from campaign.core.tokens import hash_token
from campaign.events.models import STATUS_PUBLISHED, Event
from campaign.extensions import db
from campaign.mail import services as mail
from campaign.signups import mails, tokens
from campaign.signups import statements as sql
from campaign.signups.models import (
    DEFAULT_LANGUAGE,
    LANGUAGE_MAX,
    NAME_MAX,
    STATUS_CONFIRMED,
    STATUS_WAITLISTED,
    Registration,
    is_active_row,
)

log = logging.getLogger(__name__)

RESEND_WINDOW = timedelta(hours=1)
# "Send the mail again" on the page after registering: at most one copy per (event,
# address) in this window, whoever asks.
ASKED_RESEND_WINDOW = timedelta(minutes=10)


class SignupError(ValueError):
    """Registration refused for a reason the person may see (not about other people)."""


class EventFull(SignupError):
    """No seat left and no waitlist."""


class InvalidSignup(FieldErrors):
    """What is wrong with a sign-up's name or email, one message per form field."""


@dataclass
class SignupInput:
    name: str
    email: str
    is_consenting_to_updates: bool = False
    referral_code: str = ""
    language: str = DEFAULT_LANGUAGE  # the locale the form was shown in (mail follows it)


@dataclass(frozen=True)
class SignupResult:
    registration_id: int
    is_new: bool

    @property
    def registration(self) -> Registration:
        registration = db.session.get(Registration, self.registration_id)
        assert registration is not None
        return registration


def clean_email(value: str) -> str:
    """An email address as registrations store it; raise InvalidSignup (field "email")."""
    email = (value or "").strip()
    if not email:
        raise InvalidSignup({"email": gettext("Enter your email address.")})
    if len(email) > 254 or has_control_characters(email):
        raise InvalidSignup(
            {"email": gettext("Enter a valid email address, like name@example.org.")}
        )
    # Imported on the first address checked, not when a web worker starts (its IDNA
    # tables cost every worker's start-up; see bench/pages.py's cold start).
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise InvalidSignup(
            {"email": gettext("Enter a valid email address, like name@example.org.")}
        ) from None


def clean_person(raw_name: str, raw_email: str) -> tuple[str, str, dict[str, str]]:
    """A person's name and email as the forms take them (a sign-up, a message to a host):
    the normalised name and address, and a message per field that is not usable."""
    errors: dict[str, str] = {}
    name = unicodedata.normalize("NFC", (raw_name or "").strip())
    if not name:
        errors["name"] = gettext("Enter your name.")
    elif len(name) > NAME_MAX:
        errors["name"] = gettext(
            "Use at most %(limit)s characters (now %(now)s).", limit=NAME_MAX, now=len(name)
        )
    elif has_control_characters(name) or "\n" in name:
        errors["name"] = gettext("Remove the invisible control characters from your name.")
    email = ""
    try:
        email = clean_email(raw_email)
    except InvalidSignup as exc:
        errors.update(exc.errors)
    return name, email, errors


def clean_input(data: SignupInput) -> SignupInput:
    """Normalise and validate; raise InvalidSignup with a message per field."""
    name, email, errors = clean_person(data.name, data.email)
    if errors:
        raise InvalidSignup(errors)
    code = (data.referral_code or "").strip().lower()
    if len(code) > 16 or not code.isalnum():
        code = ""
    return SignupInput(
        name, email, bool(data.is_consenting_to_updates), code, clean_language(data.language)
    )


def clean_language(code: str | None) -> str:
    """A locale code as stored ("es", "pt_BR"), DEFAULT_LANGUAGE for anything that is not
    one. Whether it is still offered is decided when mail is written (in_locale)."""
    code = (code or "").strip().replace("-", "_")
    if not (0 < len(code) <= LANGUAGE_MAX) or not code.replace("_", "").isalnum():
        return DEFAULT_LANGUAGE
    return code


def seats_changed(event_id: int) -> None:
    """Note in the caller's transaction, with the event's seat lock held, that its seats
    changed: a registration was added (to an event with a seat limit), or one's status
    changed (promoted, cancelled). The public listing's cache key follows
    events.seats_version of the events with a limit (campaign.events.cache_keys); a
    sign-up for an event without one does not write the event row (statements
    REGISTER_OPEN_SEAT)."""
    _core(sql.BUMP_SEATS_VERSION, {"event_id": event_id})


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
    event = _core(sql.EVENT_BY_ID, {"key": event_id}).first()
    return _register_locked(event, data, now, secret_key)


def register_by_slug(
    slug: str, data: SignupInput, now: datetime, secret_key: str, is_clean: bool = False
) -> SignupResult:
    """register() for the public form: one look-up, by slug, taking the seat lock.

    is_clean: `data` is already clean_input()'s answer (the view checks limits on it).
    """
    if not is_clean:
        data = clean_input(data)
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql" and not db.session().in_transaction():
        try:
            row = _register_open_seat(slug, data, now, secret_key)
        except IntegrityError:  # another unique value met (a referral code drawn twice)
            row = None
        if row is not None and row.registration_id is not None:
            log.info("signup: new registration on event %s, status confirmed", row.registered_on)
            return SignupResult(row.registration_id, is_new=True)
        if row is not None and row.id is not None:  # an event with a seat limit, now locked
            return _register_limited_seat(row, data, now, secret_key)
        # A closed event, an address already registered, or a limit set or lifted at
        # this moment: nothing was written, so the transaction this call began (and the
        # event's shared lock) is rolled back and the locked way answers.
        db.session.rollback()
    write_transaction()
    if dialect == "sqlite":
        row = _core(sql.EVENT_AND_SNAPSHOT_BY_SLUG, {"key": slug, "email": data.email}).first()
        snapshot = None if row is None else (row[-3], int(row[-2]), int(row[-1]))
        return _register_locked(row, data, now, secret_key, snapshot)
    event = _core(sql.EVENT_BY_SLUG, {"key": slug}).first()
    return _register_locked(event, data, now, secret_key)


def _register_open_seat(slug: str, data: SignupInput, now: datetime, secret_key: str) -> Any:
    """sql.REGISTER_OPEN_SEAT's row: a new registration's id (its first mail queued) or the
    seat columns of the event with a limit it has locked (PostgreSQL only)."""
    # event_slug, not `slug`: an UPDATE would take it for its column.
    params = _one_statement_values(data, now, secret_key, event_slug=slug)
    return sql.REGISTER_OPEN_SEAT.execute(db.session.connection(), params).one()


def _one_statement_values(
    data: SignupInput, now: datetime, secret_key: str, **event: Any
) -> dict[str, Any]:
    """The values of a one-statement sign-up (statements.REGISTER_*): the registration
    and its first mail, with `event`'s own (which event, its limit)."""
    nonce = tokens.new_nonce()
    return dict(
        event,
        now=now,
        code=data.referral_code or None,
        name=data.name,
        email=data.email,
        token_nonce=nonce,
        token_hash=tokens.manage_token_hash(secret_key, nonce),
        referral_code=tokens.new_referral_code(),
        is_consenting_to_updates=data.is_consenting_to_updates,
        consent_at=now if data.is_consenting_to_updates else None,
        language=data.language,
        mail_params={"resend": False},
        mail_headers={},
        message_id=mail.next_message_id(),
    )


def _register_limited_seat(
    event: Any, data: SignupInput, now: datetime, secret_key: str
) -> SignupResult:
    """register() on PostgreSQL for an event with a seat limit whose lock is held: the
    counts, the decision and the inserts in one statement; register()'s answer from the
    same counts when nothing was inserted (full, or already registered)."""
    if event.status != STATUS_PUBLISHED or event.starts_at <= now:
        raise SignupError(gettext("Registration for this event is closed."))
    params = _one_statement_values(
        data,
        now,
        secret_key,
        event_id=event.id,
        capacity=event.capacity,
        waitlist=bool(event.is_waitlist_enabled),
    )
    row = sql.REGISTER_LIMITED_SEAT.execute(db.session.connection(), params).one()
    if row.registration_id is None:
        # The same counts, the same decision: full (EventFull) or already registered.
        return _register_locked(
            event, data, now, secret_key, (row.existing, int(row.confirmed), int(row.waitlisted))
        )
    seats_changed(event.id)
    has_seat = event.capacity > row.confirmed and row.waitlisted == 0
    status = STATUS_CONFIRMED if has_seat else STATUS_WAITLISTED
    log.info("signup: new registration on event %s, status %s", event.id, status)
    return SignupResult(row.registration_id, is_new=True)


def _seat_snapshot(event_id: int, email: str) -> tuple[int | None, int, int]:
    """(id of this email's active registration, confirmed count, waitlisted count)."""
    row = _core(sql.SEAT_SNAPSHOT, {"event_id": event_id, "email": email}).one()
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
        raise SignupError(gettext("Registration for this event is closed."))
    existing_id, confirmed, waitlisted = snapshot or _seat_snapshot(event.id, data.email)
    free = None if event.capacity is None else max(event.capacity - confirmed, 0)
    # Nobody jumps the waitlist queue: a free seat goes to the waitlist first.
    has_seat = free is None or (free > 0 and waitlisted == 0)
    if not has_seat and not event.is_waitlist_enabled:
        # Before the duplicate check, so "full" never tells whether someone is registered.
        raise EventFull(gettext("This event is full."))
    if existing_id is not None:
        existing = db.session.get(Registration, existing_id)
        assert existing is not None
        if not mail.mailed_recently(event.id, existing.email, now, RESEND_WINDOW):
            mails.queue_status_mail(existing, now, resend=True)
        return SignupResult(existing_id, is_new=False)
    status = STATUS_CONFIRMED if has_seat else STATUS_WAITLISTED

    referred_by = None
    if data.referral_code:
        referrer = _core(sql.REFERRER, {"code": data.referral_code, "event_id": event.id}).first()
        if referrer is not None and referrer.email != data.email:
            referred_by = referrer.id

    nonce = tokens.new_nonce()
    registration_id = _core(
        sql.INSERT_REGISTRATION,
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
            language=data.language,
            created_at=now,
            confirmed_at=now if status == STATUS_CONFIRMED else None,
        ),
    ).scalar_one()
    if event.capacity is not None:
        seats_changed(event.id)
    mails.queue_new_registration(
        registration_id, data.email, event.id, status, now, position=waitlisted + 1
    )
    log.info("signup: new registration on event %s, status %s", event.id, status)
    return SignupResult(registration_id, is_new=True)


def resend_status_mail(event_id: int, email: str, now: datetime) -> None:
    """Someone asked for an event's mail again: queue it for the address's active
    registration, unless one went there within ASKED_RESEND_WINDOW. Returns nothing, so
    that no caller can tell whether the address is registered."""
    registration = db.session.scalar(
        select(Registration)
        .join(Event, Event.id == Registration.event_id)
        .where(
            Registration.event_id == event_id,
            Registration.email == email,
            is_active_row(Registration.status),
            Event.status == STATUS_PUBLISHED,
            Event.ends_at > now,
        )
    )
    if registration is None or registration.is_anonymised:
        return
    if mail.mailed_recently(event_id, registration.email, now, ASKED_RESEND_WINDOW):
        return
    mails.queue_status_mail(registration, now, resend=True)


def set_language(registration: Registration, code: str, offered: Sequence[str]) -> None:
    """The language of the registration's mail from now on: one of `offered`, else
    ValueError (nothing changes). The caller commits."""
    if code not in offered:
        raise ValueError(gettext("Choose one of the languages listed."))
    registration.language = code


def is_registered(slug: str, email: str) -> bool:
    """Whether the address (as clean_input leaves it) holds a live registration for the
    event with that slug: what a sign-up that met the unique index checks, to tell a
    concurrent identical submission (registered) from a write that failed (not)."""
    return bool(
        db.session.scalar(
            select(Registration.id)
            .join(Event, Event.id == Registration.event_id)
            .where(
                Event.slug == slug,
                Registration.email == email,
                is_active_row(Registration.status),
            )
            .limit(1)
        )
    )


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
