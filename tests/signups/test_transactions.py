"""The registration and its mail share one transaction: when anything fails before the
commit, neither exists."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import select

from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.mail import services as mail_services
from campaign.mail.models import OutboxMessage
from campaign.signups import services
from campaign.signups.models import Registration
from tests.signups.conftest import count


class Boom(RuntimeError):
    pass


def test_a_failure_after_register_and_before_commit_leaves_nothing(
    make_organizer, make_event, signup, monkeypatch
):
    event = make_event(make_organizer())

    def fail() -> None:
        raise Boom("after services.register, before the commit")

    monkeypatch.setattr(db.session, "commit", fail)
    with pytest.raises(Boom):
        signup(event, email="sam@example.org")
    monkeypatch.undo()
    assert count(Registration) == 0
    assert count(OutboxMessage) == 0
    # Nothing is left locked or half-done: the next registration goes through.
    assert signup(event, email="sam@example.org").status_code == 303
    assert count(Registration) == 1 and count(OutboxMessage) == 1


@pytest.mark.parametrize("capacity", [None, 10], ids=["no-limit", "seat"])
def test_a_failure_right_after_the_mail_is_written_leaves_no_registration(
    make_organizer, make_event, signup, capacity: int | None
):
    """The statement that writes the outbox row has run (on PostgreSQL the one that writes
    the registration too); a failure then rolls both back, whichever way the form took."""
    event = make_event(make_organizer(), capacity=capacity)

    def fail_after_the_outbox_insert(_conn, _cursor, statement: str, *_args) -> None:
        if "INSERT INTO outbox " in statement:
            raise Boom("right after the outbox insert")

    sqlalchemy_event.listen(db.engine, "after_cursor_execute", fail_after_the_outbox_insert)
    try:
        with pytest.raises(Boom):
            signup(event, email="sam@example.org")
    finally:
        sqlalchemy_event.remove(db.engine, "after_cursor_execute", fail_after_the_outbox_insert)
    db.session.rollback()
    assert count(Registration) == 0
    assert count(OutboxMessage) == 0
    assert signup(event, email="sam@example.org").status_code == 303  # nothing half-done
    assert count(Registration) == 1 and count(OutboxMessage) == 1


def test_a_failure_while_the_service_queues_the_mail_leaves_no_registration(
    app: Flask, make_organizer, make_event, monkeypatch
):
    event = make_event(make_organizer(), capacity=10)
    real = mail_services.enqueue

    def enqueue_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        raise Boom("the outbox insert failed")

    monkeypatch.setattr(mail_services, "enqueue", enqueue_then_fail)
    data = services.SignupInput(name="Sam", email="sam@example.org")
    with pytest.raises(Boom):
        services.register(event.id, data, utcnow(), app.config["SECRET_KEY"])
        db.session.commit()
    db.session.rollback()
    monkeypatch.undo()
    assert count(Registration) == 0
    assert count(OutboxMessage) == 0


def test_the_service_only_flushes_and_the_caller_decides(app: Flask, make_organizer, make_event):
    event = make_event(make_organizer(), capacity=1)
    secret = app.config["SECRET_KEY"]
    for email in ("a@example.org", "b@example.org"):
        result = services.register(
            event.id, services.SignupInput(name="Someone", email=email), utcnow(), secret
        )
        assert result.is_new
    db.session.rollback()
    assert count(Registration) == 0
    assert count(OutboxMessage) == 0
    # After the rollback the seat is still free: the first new person gets it.
    services.register(
        event.id, services.SignupInput(name="Someone", email="c@example.org"), utcnow(), secret
    )
    db.session.commit()
    db.session.rollback()
    [row] = db.session.scalars(select(Registration)).all()
    assert (row.email, row.status) == ("c@example.org", "confirmed")
