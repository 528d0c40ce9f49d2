"""The sign-up's hot path as plain Core statements, built once at import: building and
hashing a statement costs more than running it on SQLite. campaign.signups.services
runs them (and says when each applies); this module only builds them.

PostgreSQL gets two one-statement forms (REGISTER_OPEN_SEAT, REGISTER_LIMITED_SEAT): the
registration and its first mail written in the round trip that decides them, in the
transaction that holds the event's lock. Both are Precompiled (compiled once, run as their
SQL text): SQLAlchemy 2.0 cannot cache a statement with ON CONFLICT, which the first one
uses, and would otherwise compile it on every request.
"""

from __future__ import annotations

from typing import Any

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
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.orm import aliased

from campaign.core.database import Precompiled, table_of
from campaign.core.types import UTCDateTime
from campaign.events.models import STATUS_PUBLISHED, Event
from campaign.mail.models import KIND_CONFIRMED, KIND_WAITLISTED, STATUS_QUEUED, OutboxMessage
from campaign.signups.models import (
    STATUS_CONFIRMED,
    STATUS_WAITLISTED,
    Registration,
    is_active_row,
)

SEAT_COLUMNS = (Event.id, Event.status, Event.starts_at, Event.capacity, Event.is_waitlist_enabled)
EVENT_BY_ID = select(*SEAT_COLUMNS).where(Event.id == bindparam("key")).with_for_update()
EVENT_BY_SLUG = select(*SEAT_COLUMNS).where(Event.slug == bindparam("key")).with_for_update()
SNAPSHOT_COLUMNS = (
    func.max(
        case(
            (
                # Active = not cancelled, as the partial unique index says (and no IN
                # list to expand on every execution).
                (Registration.email == bindparam("email")) & is_active_row(Registration.status),
                Registration.id,
            )
        )
    ),
    func.count(case((Registration.status == STATUS_CONFIRMED, 1))),
    func.count(case((Registration.status == STATUS_WAITLISTED, 1))),
)
SEAT_SNAPSHOT = select(*SNAPSHOT_COLUMNS).where(Registration.event_id == bindparam("event_id"))
# SQLite only: the writer lock is already held (write_transaction), so the event and its
# seat snapshot can be read in one statement. PostgreSQL needs the row lock first and the
# counts in a later statement, which sees whatever the previous lock holder committed.
EVENT_AND_SNAPSHOT_BY_SLUG = (
    select(*SEAT_COLUMNS, *SNAPSHOT_COLUMNS)
    .select_from(Event)
    .outerjoin(Registration, Registration.event_id == Event.id)
    .where(Event.slug == bindparam("key"))
    .group_by(Event.id)
)
REFERRER = select(Registration.id, Registration.email).where(
    Registration.referral_code == bindparam("code"),
    Registration.event_id == bindparam("event_id"),
)
INSERT_REGISTRATION = insert(Registration).returning(Registration.id)
EVENTS = table_of(Event)
# updated_at set to itself: the column's onupdate must not run (the event did not change).
BUMP_SEATS_VERSION = (
    update(EVENTS)
    .where(EVENTS.c.id == bindparam("event_id"))
    .values(seats_version=EVENTS.c.seats_version + 1, updated_at=EVENTS.c.updated_at)
)

# --- the pieces of the one-statement forms -----------------------------------------------------

_REGISTRATION = Registration.__table__
_OUTBOX = OutboxMessage.__table__
_NOW = bindparam("now", type_=UTCDateTime())
_REGISTRATION_COLUMNS = [
    "event_id", "name", "email", "status", "token_nonce", "token_hash", "referral_code",
    "referred_by_id", "is_consenting_to_updates", "consent_at", "is_name_on_card",
    "is_unsubscribed", "language", "created_at", "confirmed_at",
]  # fmt: skip
_MAIL_COLUMNS = [
    "kind", "event_id", "registration_id", "to_email", "params", "headers", "message_id",
    "dedupe_key", "status", "attempts", "next_attempt_at", "created_at",
]  # fmt: skip


def _value(column: Any, name: str | None = None) -> Any:
    """A bound value typed as `column` (a SELECT list item of INSERT ... SELECT)."""
    return bindparam(name or column.key, type_=column.type)


_EMAIL = _value(_REGISTRATION.c.email)


def _referred_by(event_id: Any) -> Any:
    """The registration of the same event whose share code the form carried (never the
    person's own address). Looked up by the code alone, which only its unique index
    answers: the event and the address are checked on the row found, so no plan can read
    the event's registrations instead (a generic plan made while the table was nearly
    empty did, and every referred sign-up cost more as the event filled)."""
    referrer = aliased(Registration)
    is_fellow = (referrer.event_id == event_id) & (referrer.email != _EMAIL)
    return (
        select(case((is_fellow, referrer.id)))
        .where(referrer.referral_code == bindparam("code"))
        .scalar_subquery()
    )


def _registration_values(event_id: Any, status: Any, confirmed_at: Any) -> Any:
    """The form's registration as the SELECT of INSERT ... SELECT (_REGISTRATION_COLUMNS)."""
    return select(
        event_id,
        _value(_REGISTRATION.c.name),
        _EMAIL,
        status,
        _value(_REGISTRATION.c.token_nonce),
        _value(_REGISTRATION.c.token_hash),
        _value(_REGISTRATION.c.referral_code),
        _referred_by(event_id),
        _value(_REGISTRATION.c.is_consenting_to_updates),
        _value(_REGISTRATION.c.consent_at),
        literal(False),
        literal(False),
        _value(_REGISTRATION.c.language),
        _NOW,
        confirmed_at,
    )


def _first_mail(kind: Any, event_id: Any, registration: Any, params: Any) -> Any:
    """The SELECT of the new registration's first mail (_MAIL_COLUMNS), with
    queue_new_registration's dedupe key reg:<id>:<status>."""
    return select(
        kind,
        event_id,
        registration.c.id,
        _EMAIL,
        params,
        _value(_OUTBOX.c.headers, "mail_headers"),
        _value(_OUTBOX.c.message_id),
        literal("reg:", String)
        + cast(registration.c.id, String)
        + literal(":", String)
        + registration.c.status,
        literal(STATUS_QUEUED, String),
        literal(0),
        _NOW,
        _NOW,
    )


def _insert_mail(values: Any, *returning: Any) -> Any:
    return insert(OutboxMessage).from_select(_MAIL_COLUMNS, values).returning(*returning)


# --- PostgreSQL's one-statement sign-ups -------------------------------------------------------


def _open_seat_statement() -> Any:
    """The first statement of a sign-up on PostgreSQL: either a confirmed registration on
    an open event without a seat limit and its first mail (one round trip, and no wait
    for the seat lock), or, on an event with a limit, that event's seat lock.

    An event without a limit is read FOR SHARE, and only while it has no limit, is
    published and has not started. Sign-ups share that lock, so they run side by side
    (an exclusive lock, as the seats_version bump took, made every sign-up for the event
    wait for the previous one's commit); an edit of the event waits for the sign-ups
    holding it, and a statement that waits for an edit setting a limit reads the edited
    row and changes nothing. The bump is left to events with a limit: the listing's key
    sums seats_version over those only. An address already registered, or being
    registered by a concurrent request that then commits, meets the active-email unique
    index, and ON CONFLICT DO NOTHING inserts nothing (no error, and no ERROR line in
    the server's log for each repeated sign-up): the caller finds no new registration,
    rolls back and goes the locked way, which answers for it. The statement reads no
    registrations but the referrer's, by its unique code, so its cost does not grow with
    the event's sign-ups whatever plan the server keeps for it (an "already registered?"
    read did: a generic plan made while the table was nearly empty scanned it, with
    database time per sign-up growing from 0.8 to 4.5 ms over 6,000 sign-ups on a server
    without autovacuum).

    An event with a limit is read FOR UPDATE (EVENT_BY_SLUG's lock, in the same
    statement): the counts are read by the next statement, which sees what the previous
    holder committed.

    One row: the new registration's id and event id (or NULLs) and the locked event's
    seat columns (NULLs when no event with a limit has that slug).
    """
    event = (
        select(EVENTS.c.id)
        .where(
            EVENTS.c.slug == bindparam("event_slug"),
            EVENTS.c.capacity.is_(None),
            EVENTS.c.status == STATUS_PUBLISHED,
            EVENTS.c.starts_at > _NOW,
        )
        .with_for_update(read=True)
        .cte("open_event")
    )
    locked = (
        select(*SEAT_COLUMNS)
        .where(Event.slug == bindparam("event_slug"), Event.capacity.is_not(None))
        .with_for_update()
        .cte("limited_event")
    )
    confirmed = literal(STATUS_CONFIRMED, String)
    values = _registration_values(event.c.id, confirmed, _NOW)
    registration = (
        postgresql_insert(Registration)
        .from_select(_REGISTRATION_COLUMNS, values)
        .on_conflict_do_nothing(
            index_elements=[Registration.event_id, Registration.email],
            index_where=is_active_row(Registration.status),
        )
        .returning(Registration.id, Registration.event_id, Registration.status)
        .cte("new_registration")
    )
    params = _value(_OUTBOX.c.params, "mail_params")
    mail = _first_mail(
        literal(KIND_CONFIRMED, String), registration.c.event_id, registration, params
    )
    new_mail = _insert_mail(mail, OutboxMessage.registration_id, OutboxMessage.event_id).cte(
        "new_mail"
    )
    one = select(literal(1).label("one")).subquery("one")
    return select(
        select(new_mail.c.registration_id).scalar_subquery().label("registration_id"),
        select(new_mail.c.event_id).scalar_subquery().label("registered_on"),
        *locked.c,
    ).select_from(one.outerjoin(locked, true()))


REGISTER_OPEN_SEAT = Precompiled(_open_seat_statement())


def _limited_seat_statement() -> Any:
    """The second statement of a sign-up on PostgreSQL for an event with a seat limit,
    its seat lock held: the seat counts, and the decision register() makes from them
    (a seat, else a waitlist spot when the event keeps a waitlist; nothing for an address
    already registered or a full event) with the registration and its first mail, in one
    round trip. Seen after the lock was granted, the counts include what the previous
    holder committed. One row: the counts (as SEAT_SNAPSHOT) and the new registration's
    id (NULL when nothing was inserted: the caller answers from the counts)."""
    event_id = bindparam("event_id", type_=Registration.event_id.type)
    counts = (
        select(*(column.label(name) for column, name in zip(
            SNAPSHOT_COLUMNS, ("existing", "confirmed", "waitlisted"), strict=True
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
    values = _registration_values(
        event_id, decided.c.status, case((decided.c.status == STATUS_CONFIRMED, _NOW))
    )
    registration = (
        insert(Registration)
        .from_select(_REGISTRATION_COLUMNS, values)
        .returning(Registration.id, Registration.status)
        .cte("new_registration")
    )
    is_seat = registration.c.status == STATUS_CONFIRMED
    # queue_new_registration's params: a waitlist spot's mail says its position.
    params = case(
        (is_seat, _value(_OUTBOX.c.params, "mail_params")),
        else_=func.json_build_object(
            literal("resend", String), false(), literal("position", String),
            decided.c.waitlisted + 1,
        ),
    )  # fmt: skip
    kind = case((is_seat, KIND_CONFIRMED), else_=KIND_WAITLISTED)
    mail = _first_mail(kind, event_id, registration, params).select_from(
        registration.join(decided, true())
    )
    new_mail = _insert_mail(mail, OutboxMessage.registration_id).cte("new_mail")
    return select(
        counts.c.existing,
        counts.c.confirmed,
        counts.c.waitlisted,
        select(new_mail.c.registration_id).scalar_subquery().label("registration_id"),
    ).select_from(counts)


REGISTER_LIMITED_SEAT = Precompiled(_limited_seat_statement())
