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
from sqlalchemy import (
    String,
    bindparam,
    case,
    cast,
    false,
    func,
    insert,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.orm import aliased

from campaign.core.database import table_of, write_transaction
from campaign.core.forms import FieldErrors
from campaign.core.text import has_control_characters
from campaign.core.tokens import hash_token
from campaign.core.types import UTCDateTime
from campaign.events.models import STATUS_PUBLISHED, Event
from campaign.extensions import db
from campaign.mail import services as mail
from campaign.mail.models import KIND_CONFIRMED, KIND_WAITLISTED, STATUS_QUEUED, OutboxMessage
from campaign.signups import mails, tokens
from campaign.signups.models import (
    ACTIVE_STATUSES,
    DEFAULT_LANGUAGE,
    LANGUAGE_MAX,
    NAME_MAX,
    STATUS_CANCELLED,
    STATUS_CONFIRMED,
    STATUS_WAITLISTED,
    Registration,
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
_EVENTS = table_of(Event)
# updated_at set to itself: the column's onupdate must not run (the event did not change).
_BUMP_SEATS_VERSION = (
    update(_EVENTS)
    .where(_EVENTS.c.id == bindparam("event_id"))
    .values(seats_version=_EVENTS.c.seats_version + 1, updated_at=_EVENTS.c.updated_at)
)


def seats_changed(event_id: int) -> None:
    """Note in the caller's transaction, with the event's seat lock held, that its seats
    changed: a registration was added, or one's status changed (promoted, cancelled).
    The public listing's cache key follows events.seats_version (campaign.events.cache_keys)."""
    _core(_BUMP_SEATS_VERSION, {"event_id": event_id})


def _value(column: Any, name: str | None = None) -> Any:
    """A bound value typed as `column` (a SELECT list item of INSERT ... SELECT)."""
    return bindparam(name or column.key, type_=column.type)


def _open_seat_statement() -> Any:
    """PostgreSQL only, the first statement of a sign-up: either a confirmed registration
    on an open event without a seat limit and its first mail (one round trip, and no wait
    for the seat lock), or, on an event with a limit, that event's seat lock.

    An event without a limit has its seats_version bumped (seats_changed(), which takes
    its row lock until the commit), and only while it has no limit, is published and has
    not started: a statement that waits for an edit setting a limit reads the edited row
    and changes nothing. The lock is held for this one statement and the commit, not for
    four round trips. An address already registered gets no row (the caller rolls back
    the bump and goes the locked way, which answers for it); one being registered by a
    concurrent request meets the active-email unique index (IntegrityError, as on the
    locked way). (Written without ON CONFLICT, whose clause SQLAlchemy 2.0 cannot cache:
    the statement would be compiled again on every request.)

    An event with a limit is read FOR UPDATE (_EVENT_BY_SLUG's lock, in the same
    statement): the counts are read by the next statement, which sees what the previous
    holder committed.

    One row: the new registration's id and event id (or NULLs) and the locked event's
    seat columns (NULLs when no event with a limit has that slug).
    """
    table = Registration.__table__
    now = bindparam("now", type_=UTCDateTime())
    email = _value(table.c.email)
    # seats_changed() in the same statement: the bump is the row lock.
    event = (
        update(_EVENTS)
        .where(
            _EVENTS.c.slug == bindparam("event_slug"),
            _EVENTS.c.capacity.is_(None),
            _EVENTS.c.status == STATUS_PUBLISHED,
            _EVENTS.c.starts_at > now,
        )
        .values(seats_version=_EVENTS.c.seats_version + 1, updated_at=_EVENTS.c.updated_at)
        .returning(_EVENTS.c.id)
        .cte("open_event")
    )
    locked = (
        select(*_SEAT_COLUMNS)
        .where(Event.slug == bindparam("event_slug"), Event.capacity.is_not(None))
        .with_for_update()
        .cte("limited_event")
    )
    referrer = aliased(Registration)
    referred_by = (
        select(referrer.id)
        .where(
            referrer.referral_code == bindparam("code"),
            referrer.event_id == event.c.id,
            referrer.email != email,
        )
        .scalar_subquery()
    )
    registered = aliased(Registration)
    already = (
        select(registered.id)
        .where(
            registered.event_id == event.c.id,
            registered.email == email,
            registered.status != STATUS_CANCELLED,
        )
        .exists()
    )
    registration = (
        insert(Registration)
        .from_select(
            [
                "event_id",
                "name",
                "email",
                "status",
                "token_nonce",
                "token_hash",
                "referral_code",
                "referred_by_id",
                "is_consenting_to_updates",
                "consent_at",
                "is_name_on_card",
                "is_unsubscribed",
                "language",
                "created_at",
                "confirmed_at",
            ],
            select(
                event.c.id,
                _value(table.c.name),
                email,
                literal(STATUS_CONFIRMED, String),
                _value(table.c.token_nonce),
                _value(table.c.token_hash),
                _value(table.c.referral_code),
                referred_by,
                _value(table.c.is_consenting_to_updates),
                _value(table.c.consent_at),
                literal(False),
                literal(False),
                _value(table.c.language),
                now,
                now,
            ).where(~already),
        )
        .returning(Registration.id, Registration.event_id)
        .cte("new_registration")
    )
    outbox = OutboxMessage.__table__
    new_mail = (
        insert(OutboxMessage)
        .from_select(
            [
                "kind",
                "event_id",
                "registration_id",
                "to_email",
                "params",
                "headers",
                "message_id",
                "dedupe_key",
                "status",
                "attempts",
                "next_attempt_at",
                "created_at",
            ],
            select(
                literal(KIND_CONFIRMED, String),
                registration.c.event_id,
                registration.c.id,
                email,
                _value(outbox.c.params, "mail_params"),
                _value(outbox.c.headers, "mail_headers"),
                _value(outbox.c.message_id),
                # queue_new_registration's key: reg:<id>:<status>
                literal("reg:", String)
                + cast(registration.c.id, String)
                + literal(f":{STATUS_CONFIRMED}", String),
                literal(STATUS_QUEUED, String),
                literal(0),
                now,
                now,
            ),
        )
        .returning(OutboxMessage.registration_id, OutboxMessage.event_id)
        .cte("new_mail")
    )
    one = select(literal(1).label("one")).subquery("one")
    return select(
        select(new_mail.c.registration_id).scalar_subquery().label("registration_id"),
        select(new_mail.c.event_id).scalar_subquery().label("registered_on"),
        *locked.c,
    ).select_from(one.outerjoin(locked, true()))


_REGISTER_OPEN_SEAT = _open_seat_statement()


def _limited_seat_statement() -> Any:
    """PostgreSQL only, the second statement of a sign-up for an event with a seat limit,
    its seat lock held: the seat counts, and the decision register() makes from them
    (a seat, else a waitlist spot when the event keeps a waitlist; nothing for an address
    already registered or a full event) with the registration and its first mail, in one
    round trip. Seen after the lock was granted, the counts include what the previous
    holder committed. One row: the counts (as _SEAT_SNAPSHOT) and the new registration's
    id (NULL when nothing was inserted: the caller answers from the counts)."""
    table = Registration.__table__
    now = bindparam("now", type_=UTCDateTime())
    email = _value(table.c.email)
    event_id = bindparam("event_id", type_=Registration.event_id.type)
    counts = (
        select(*(column.label(name) for column, name in zip(
            _SNAPSHOT_COLUMNS, ("existing", "confirmed", "waitlisted"), strict=True
        )))
        .where(Registration.event_id == event_id)
        .cte("seat_counts")
    )  # fmt: skip
    has_seat = (bindparam("capacity", type_=Event.capacity.type) > counts.c.confirmed) & (
        counts.c.waitlisted == 0
    )
    status = case((has_seat, STATUS_CONFIRMED), else_=STATUS_WAITLISTED)
    decided = (
        select(status.label("status"), counts.c.waitlisted)
        .where(counts.c.existing.is_(None), has_seat | bindparam("waitlist"))
        .cte("decided")
    )
    referrer = aliased(Registration)
    referred_by = (
        select(referrer.id)
        .where(
            referrer.referral_code == bindparam("code"),
            referrer.event_id == event_id,
            referrer.email != email,
        )
        .scalar_subquery()
    )
    registration = (
        insert(Registration)
        .from_select(
            [
                "event_id", "name", "email", "status", "token_nonce", "token_hash",
                "referral_code", "referred_by_id", "is_consenting_to_updates", "consent_at",
                "is_name_on_card", "is_unsubscribed", "language", "created_at", "confirmed_at",
            ],
            select(
                event_id,
                _value(table.c.name),
                email,
                decided.c.status,
                _value(table.c.token_nonce),
                _value(table.c.token_hash),
                _value(table.c.referral_code),
                referred_by,
                _value(table.c.is_consenting_to_updates),
                _value(table.c.consent_at),
                literal(False),
                literal(False),
                _value(table.c.language),
                now,
                case((decided.c.status == STATUS_CONFIRMED, now)),
            ),
        )
        .returning(Registration.id, Registration.status)
        .cte("new_registration")
    )  # fmt: skip
    outbox = OutboxMessage.__table__
    is_seat = registration.c.status == STATUS_CONFIRMED
    new_mail = (
        insert(OutboxMessage)
        .from_select(
            [
                "kind", "event_id", "registration_id", "to_email", "params", "headers",
                "message_id", "dedupe_key", "status", "attempts", "next_attempt_at",
                "created_at",
            ],
            select(
                case((is_seat, KIND_CONFIRMED), else_=KIND_WAITLISTED),
                event_id,
                registration.c.id,
                email,
                # queue_new_registration's params: the waitlist position after the others
                case(
                    (is_seat, _value(outbox.c.params, "mail_params")),
                    else_=func.json_build_object(
                        literal("resend", String), false(),
                        literal("position", String), decided.c.waitlisted + 1,
                    ),
                ),
                _value(outbox.c.headers, "mail_headers"),
                _value(outbox.c.message_id),
                # queue_new_registration's key: reg:<id>:<status>
                literal("reg:", String)
                + cast(registration.c.id, String)
                + literal(":", String)
                + registration.c.status,
                literal(STATUS_QUEUED, String),
                literal(0),
                now,
                now,
            ).select_from(registration.join(decided, true())),
        )
        .returning(OutboxMessage.registration_id)
        .cte("new_mail")
    )  # fmt: skip
    return select(
        counts.c.existing,
        counts.c.confirmed,
        counts.c.waitlisted,
        select(new_mail.c.registration_id).scalar_subquery().label("registration_id"),
    ).select_from(counts)


_REGISTER_LIMITED_SEAT = _limited_seat_statement()


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
        row = _register_open_seat(slug, data, now, secret_key)
        if row.registration_id is not None:
            log.info("signup: new registration on event %s, status confirmed", row.registered_on)
            return SignupResult(row.registration_id, is_new=True)
        if row.id is not None:  # an event with a seat limit, now locked
            return _register_limited_seat(row, data, now, secret_key)
        # A closed event, an address already registered, or a limit set or lifted at
        # this moment: nothing but perhaps the seats_version bump was written, so the
        # transaction this call began is rolled back and the locked way answers.
        db.session.rollback()
    write_transaction()
    if dialect == "sqlite":
        row = _core(_EVENT_AND_SNAPSHOT_BY_SLUG, {"key": slug, "email": data.email}).first()
        snapshot = None if row is None else (row[-3], int(row[-2]), int(row[-1]))
        return _register_locked(row, data, now, secret_key, snapshot)
    event = _core(_EVENT_BY_SLUG, {"key": slug}).first()
    return _register_locked(event, data, now, secret_key)


def _register_open_seat(slug: str, data: SignupInput, now: datetime, secret_key: str) -> Any:
    """_REGISTER_OPEN_SEAT's row: a new registration's id (its first mail queued) or the
    seat columns of the event with a limit it has locked (PostgreSQL only)."""
    nonce = tokens.new_nonce()
    return _core(
        _REGISTER_OPEN_SEAT,
        dict(
            event_slug=slug,  # not `slug`: an UPDATE would take it for its column
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
        ),
    ).one()


def _register_limited_seat(
    event: Any, data: SignupInput, now: datetime, secret_key: str
) -> SignupResult:
    """register() on PostgreSQL for an event with a seat limit whose lock is held: the
    counts, the decision and the inserts in one statement; register()'s answer from the
    same counts when nothing was inserted (full, or already registered)."""
    if event.status != STATUS_PUBLISHED or event.starts_at <= now:
        raise SignupError(gettext("Registration for this event is closed."))
    nonce = tokens.new_nonce()
    row = _core(
        _REGISTER_LIMITED_SEAT,
        dict(
            event_id=event.id,
            capacity=event.capacity,
            waitlist=bool(event.is_waitlist_enabled),
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
        ),
    ).one()
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
            language=data.language,
            created_at=now,
            confirmed_at=now if status == STATUS_CONFIRMED else None,
        ),
    ).scalar_one()
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
            Registration.status.in_(ACTIVE_STATUSES),
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
                Registration.status != STATUS_CANCELLED,
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
