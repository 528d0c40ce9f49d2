"""A person's live registration at an event is found through the partial unique index
(uq_registrations_active_email) whatever plan the database makes, so a look-up costs
the same at an event of ten people as at one of ten thousand.

A planner uses a partial index only when the query's WHERE clause implies the index's
own predicate (status != 'cancelled'), and a bound parameter implies nothing once a
plan is made for any value: PostgreSQL's generic plan of a prepared statement (psycopg
prepares a statement on its fifth run on a connection) and every SQLite plan.

PostgreSQL's one-statement sign-up once read the event's registrations that way, through
a generic plan made while the table was nearly empty: its database time grew with every
sign-up (0.8 ms per POST at 1,500 people, 4.5 ms at 6,000, on a server without
autovacuum to re-plan it). It now reads no registration but the referrer's."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from campaign.attendees.checkin import add_walk_in
from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.signups import services
from tests.support.queries import count_queries

INDEX = "uq_registrations_active_email"


def _looks_up_email(statement: str) -> bool:
    return "registrations" in statement and re.search(r"\.email = ", statement) is not None


def _plans(statements: list[str]) -> list[str]:
    """Each statement's plan as the database makes it for any value of its parameters:
    PostgreSQL's generic plan (with an index preferred wherever one can be used), SQLite's
    only plan."""
    plans = []
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            raw = connection.connection.driver_connection
            assert raw is not None
            raw.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            # The test's tables are nearly empty: reading them whole would be cheapest.
            raw.execute("SET LOCAL enable_seqscan = off")
            for number, statement in enumerate(statements):
                names: list[str] = []

                def numbered(match: re.Match[str], names: list[str] = names) -> str:
                    if match.group(1) not in names:
                        names.append(match.group(1))
                    return f"${names.index(match.group(1)) + 1}"

                sql = re.sub(r"%\((\w+)\)s", numbered, statement)
                raw.execute(f"PREPARE plan_{number} AS {sql}")
                nulls = ", ".join(["NULL"] * len(names))
                rows = raw.execute(f"EXPLAIN EXECUTE plan_{number}({nulls})").fetchall()
                plans.append("\n".join(row[0] for row in rows))
            connection.invalidate()  # its prepared statements and setting go with it
        else:
            for statement in statements:
                nulls = (None,) * statement.count("?")
                rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", nulls)
                plans.append("\n".join(str(row[-1]) for row in rows))
    return plans


def _fill(event_id: int, people: int = 2_000) -> None:
    """PostgreSQL: `people` registrations at the event, then ANALYZE. Planned over a
    nearly empty table, two indexes that both start with event_id tie on cost and either
    may be chosen; with the statistics of a real event, the choice is the one production
    gets."""
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO registrations (event_id, name, email, status, token_nonce,"
                " token_hash, referral_code, is_consenting_to_updates, is_name_on_card,"
                " is_unsubscribed, created_at)"
                " SELECT :event, 'Person ' || n, 'person' || n || '@example.org',"
                " CASE WHEN n % 10 = 0 THEN 'cancelled' ELSE 'confirmed' END,"
                " md5(n::text), md5('hash' || n), 'code' || n, false, false, false, now()"
                " FROM generate_series(1, :people) AS n"
            ),
            {"event": event_id, "people": people},
        )
        connection.exec_driver_sql("ANALYZE registrations")


def _assert_by_index(app: Flask, action: Callable[[], Any], event_id: int) -> None:
    _fill(event_id)
    with count_queries(app) as log:
        action()
    statements = [s for s in log.statements if _looks_up_email(s)]
    assert statements, log.statements
    for statement, plan in zip(statements, _plans(statements), strict=True):
        assert INDEX in plan, f"{statement}\n{plan}"


def test_the_sign_up_reads_registrations_only_by_the_share_code(
    app: Flask, make_organizer, make_event, signup
) -> None:
    """PostgreSQL's one-statement sign-up leaves "already registered?" to the unique
    index itself (an insert it refuses), so the only registration it reads is the
    referrer, by the share code's unique index: nothing in it grows with the event."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's one-statement sign-up (SQLite's reads the event's counts)")
    event = make_event(make_organizer())
    with count_queries(app) as log:
        assert signup(event, email="sam@example.org", ref="a-share-code").status_code == 303
    statements = [s for s in log.statements if s.startswith("WITH open_event AS")]
    assert len(statements) == 1, log.statements
    plan = _plans(statements)[0]
    reads = [
        line for line in plan.splitlines() if " on registrations" in line and "Insert" not in line
    ]
    assert reads and all("uq_registrations_referral_code" in line for line in reads), plan


def test_a_repeated_submission_is_recognised_by_the_index(
    app: Flask, make_organizer, make_event
) -> None:
    event = make_event(make_organizer())
    _assert_by_index(app, lambda: services.is_registered(event.slug, "sam@example.org"), event.id)


def test_a_resend_finds_the_registration_by_the_index(
    app: Flask, make_organizer, make_event
) -> None:
    event = make_event(make_organizer())
    _assert_by_index(
        app, lambda: services.resend_status_mail(event.id, "sam@example.org", utcnow()), event.id
    )


def test_a_walk_in_finds_an_earlier_registration_by_the_index(
    app: Flask, make_organizer, make_event
) -> None:
    event = make_event(make_organizer())

    def walk_in() -> None:
        add_walk_in(event, "Sam Jones", "sam@example.org", utcnow(), app.config["SECRET_KEY"])
        db.session.rollback()

    _assert_by_index(app, walk_in, event.id)


def test_the_index_keeps_its_predicate(app: Flask) -> None:
    """The look-ups spell the predicate the index was created with."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            found = connection.scalar(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"), {"name": INDEX}
            )
        else:
            found = connection.scalar(
                text("SELECT sql FROM sqlite_master WHERE name = :name"), {"name": INDEX}
            )
    assert "'cancelled'" in str(found)
