"""The registration POST's database work: on PostgreSQL, a sign-up for an event without a
seat limit is one statement (the registration and its first mail), and what it stores is
what the locked way (an event with a limit) stores."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask, current_app
from sqlalchemy import select

from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.mail import services as mail_services
from campaign.mail.models import OutboxMessage
from campaign.signups import services
from campaign.signups import statements as sql
from campaign.signups.models import Registration
from tests.signups.conftest import count, only_registration, outbox
from tests.support.queries import count_queries


def is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def test_a_sign_up_without_a_seat_limit_is_one_statement_on_postgresql(
    app: Flask, make_organizer, make_event, signup
):
    event = SimpleNamespace(slug=make_event(make_organizer()).slug)  # nothing left to load
    with count_queries(app) as log:
        sent = log.statements
        assert signup(event, email="sam@example.org").status_code == 303
    if is_postgresql():
        assert len(sent) == 1 and sent[0].startswith("WITH open_event AS"), sent
    else:  # SQLite: BEGIN IMMEDIATE, the event and its counts, two inserts (no bump)
        assert len(sent) == 4, sent
    assert count(Registration) == 1 and count(OutboxMessage) == 1


def test_an_event_with_a_seat_limit_takes_the_seat_lock(
    app: Flask, make_organizer, make_event, signup
):
    event = SimpleNamespace(slug=make_event(make_organizer(), capacity=5).slug)
    with count_queries(app) as log:
        sent = log.statements
        assert signup(event, email="sam@example.org").status_code == 303
    if is_postgresql():
        # The first statement takes the seat lock (and inserts nothing); the second reads
        # the counts under the lock and inserts the registration and its mail.
        assert len(sent) == 3, sent
        assert sent[0].startswith("WITH open_event AS")
        assert sent[1].startswith("WITH seat_counts AS")
        assert sent[2].startswith("UPDATE events SET seats_version")
    assert only_registration("sam@example.org").status == "confirmed"


def _stored(email: str) -> tuple[dict[str, Any], dict[str, Any]]:
    registration = only_registration(email)
    [message] = outbox(to=email)
    kept = {
        column: getattr(registration, column)
        for column in (
            "name", "email", "status", "referred_by_id", "is_consenting_to_updates",
            "is_name_on_card", "is_unsubscribed", "language", "anonymised_at", "cancelled_at",
        )
    }  # fmt: skip
    kept["confirmed_at"] = registration.confirmed_at == registration.created_at
    kept["consent_at"] = registration.consent_at == registration.created_at
    kept["token"] = len(registration.token_nonce), len(registration.token_hash)
    kept["referral_code"] = len(registration.referral_code)
    mail = {
        column: getattr(message, column)
        for column in ("kind", "params", "headers", "status", "attempts", "subject", "last_error")
    }
    mail["registration"] = message.registration_id == registration.id
    mail["event"] = message.event_id == registration.event_id
    mail["dedupe_key"] = message.dedupe_key == f"reg:{registration.id}:{registration.status}"
    mail["times"] = message.created_at == message.next_attempt_at == registration.created_at
    mail["message_id"] = message.message_id.endswith("@campaign.example.org>")
    return kept, mail


def _by_service(event: Any, name: str, email: str, consenting: bool) -> None:
    """A registration the locked way (services.register, the mail through enqueue)."""
    services.register(
        event.id,
        services.SignupInput(name=name, email=email, is_consenting_to_updates=consenting),
        utcnow(),
        current_app.config["SECRET_KEY"],
    )
    db.session.commit()


@pytest.mark.parametrize("consenting", [True, False])
@pytest.mark.parametrize(
    "fields",
    [{}, {"capacity": 10}, {"capacity": 1, "is_waitlist_enabled": True}],
    ids=["no-limit", "seat", "waitlist"],
)
def test_the_form_stores_what_the_locked_way_stores(
    make_organizer, make_event, signup, consenting: bool, fields: dict[str, Any]
):
    organizer = make_organizer()
    by_form, by_service = make_event(organizer, **fields), make_event(organizer, **fields)
    extra = {"keep_informed": "y"} if consenting else {}
    for n in range(3):  # with a waitlist: a seat, then places 1 and 2
        email = f"person{n}@example.org"
        assert signup(by_form, name="Ana Díaz", email=f"form-{email}", **extra).status_code == 303
        _by_service(by_service, "Ana Díaz", f"service-{email}", consenting)
        form, service = _stored(f"form-{email}"), _stored(f"service-{email}")
        assert form[0] == {**service[0], "email": f"form-{email}"}
        assert form[1] == service[1]
        assert form[0]["is_consenting_to_updates"] is consenting
        assert all(
            form[1][k] for k in ("registration", "event", "dedupe_key", "times", "message_id")
        )
    if fields.get("is_waitlist_enabled"):
        assert [_stored(f"form-person{n}@example.org")[1]["params"] for n in range(3)] == [
            {"resend": False},
            {"resend": False, "position": 1},
            {"resend": False, "position": 2},
        ]


@pytest.mark.parametrize("capacity", [None, 10])
def test_an_outbox_row_the_database_refuses_leaves_no_registration(
    make_organizer, make_event, signup, monkeypatch, capacity: int | None
):
    """The mail is written in the registration's own transaction (one statement, or two
    before one commit): when the database refuses the outbox row, neither exists."""
    event = make_event(make_organizer(), capacity=capacity)
    assert signup(event, email="first@example.org").status_code == 303
    taken = db.session.scalar(select(OutboxMessage.message_id))
    monkeypatch.setattr(mail_services, "new_message_id", lambda _domain: taken)
    # The unique Message-ID is refused: nothing is stored, and the person is told so
    # (never the "check your inbox" a concurrent identical submission gets).
    refused = signup(event, email="second@example.org")
    assert refused.status_code == 409
    assert "could not be saved" in refused.get_data(as_text=True)
    assert count(Registration) == 1 and count(OutboxMessage) == 1
    assert outbox(to="second@example.org") == []


def test_a_second_sign_up_without_a_seat_limit_gets_the_same_answer(
    make_organizer, make_event, signup
):
    event = make_event(make_organizer())
    first = signup(event, email="sam@example.org")
    again = signup(event, email="Sam@Example.org")
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert count(Registration) == 1


def test_a_started_event_without_a_seat_limit_is_closed(make_organizer, make_event, signup):
    from datetime import timedelta

    from campaign.core.timeutil import utcnow

    starts = utcnow() - timedelta(minutes=5)
    event = make_event(make_organizer(), starts_at=starts, ends_at=starts + timedelta(hours=2))
    response = signup(event, email="late@example.org")
    assert response.status_code in (404, 409)
    assert count(Registration) == 0 and count(OutboxMessage) == 0


@pytest.mark.parametrize("fields", [{}, {"capacity": 10}], ids=["no-limit", "seat"])
def test_the_form_bumps_the_seats_version_once_per_new_registration_with_a_limit(
    make_organizer, make_event, signup, fields: dict[str, Any]
):
    """With a limit, once per new registration; without, never: the listing's key sums
    the version over events with a limit only, and a sign-up for an event without one
    leaves its row alone (sign-ups share its lock instead of queueing for it)."""
    from campaign.events.models import Event

    event = make_event(make_organizer(), **fields)
    event_id, updated_at = event.id, event.updated_at

    def version() -> tuple[int, Any]:
        db.session.rollback()
        row = db.session.execute(
            select(Event.seats_version, Event.updated_at).where(Event.id == event_id)
        ).one()
        return int(row[0]), row[1]

    bump = 1 if fields else 0
    assert version() == (0, updated_at)
    assert signup(event, email="sam@example.org").status_code == 303
    assert version() == (bump, updated_at)
    assert signup(event, email="sam@example.org").status_code == 303  # already registered
    assert version() == (bump, updated_at)


def _open_seat(connection: Any, slug: str, email: str) -> Any:
    """Run the first statement of a form sign-up on `connection`, in its transaction."""
    data = services.SignupInput(name="Side By Side", email=email)
    params = services._one_statement_values(
        data, utcnow(), current_app.config["SECRET_KEY"], event_slug=slug
    )
    return sql.REGISTER_OPEN_SEAT.execute(connection, params).one()


@pytest.fixture
def two_connections(app: Flask) -> Any:
    """Two connections of their own (PostgreSQL only), each giving up on a lock after
    one second instead of waiting for it."""
    if not is_postgresql():
        pytest.skip("PostgreSQL row locks (the SQLite run takes the database's write lock)")
    first, second = db.engine.connect(), db.engine.connect()
    for connection in (first, second):
        connection.exec_driver_sql("SET lock_timeout = '1s'")
        connection.commit()
    yield first, second
    for connection in (first, second):
        connection.rollback()
        connection.close()


def test_sign_ups_without_a_limit_do_not_wait_for_each_other(
    make_organizer, make_event, two_connections
):
    """Two sign-ups for the same event, the first not yet committed: the second is not
    kept waiting for the first's commit (with an exclusive lock it gave up after 1 s)."""
    event = make_event(make_organizer())
    first, second = two_connections
    assert _open_seat(first, event.slug, "one@example.org").registration_id is not None
    assert _open_seat(second, event.slug, "two@example.org").registration_id is not None
    first.commit()
    second.commit()
    assert count(Registration) == 2 and count(OutboxMessage) == 2


def test_an_edit_setting_a_limit_waits_for_sign_ups_in_flight(
    make_organizer, make_event, two_connections
):
    """A sign-up holds the event's shared lock until its commit: an edit of the event
    waits for it, so a limit is never set under registrations it does not see."""
    from sqlalchemy import update
    from sqlalchemy.exc import OperationalError

    from campaign.events.models import Event

    event = make_event(make_organizer())
    first, second = two_connections
    assert _open_seat(first, event.slug, "one@example.org").registration_id is not None
    set_limit = update(Event).where(Event.id == event.id).values(capacity=1)
    with pytest.raises(OperationalError, match="lock timeout"):
        second.execute(set_limit)
    second.rollback()
    first.commit()
    second.execute(set_limit)
    second.commit()
    # Now with a limit: the next sign-up goes the locked way (no registration yet).
    locked = _open_seat(first, event.slug, "two@example.org")
    assert locked.registration_id is None and locked.capacity == 1
    first.rollback()


def test_an_address_already_registered_is_refused_without_an_error(
    make_organizer, make_event, two_connections
):
    """The one-statement sign-up of an address already registered inserts nothing and
    fails nothing (ON CONFLICT DO NOTHING): no aborted transaction, and no ERROR line in
    the server's log for every repeated sign-up. The caller then goes the locked way,
    which answers (test_a_second_sign_up_without_a_seat_limit_gets_the_same_answer)."""
    event = make_event(make_organizer())
    first, _ = two_connections
    assert _open_seat(first, event.slug, "one@example.org").registration_id is not None
    first.commit()
    again = _open_seat(first, event.slug, "one@example.org")
    assert again.registration_id is None and again.id is None
    assert first.exec_driver_sql("SELECT 1").scalar() == 1  # the transaction is alive
    first.commit()
    assert count(Registration) == 1 and count(OutboxMessage) == 1
