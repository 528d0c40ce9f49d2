"""Attendee queries for organizers, and the CSV export."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import aliased

from campaign.core.text import LINE_BREAK
from campaign.core.timeutil import format_local, to_local
from campaign.events.models import Event
from campaign.extensions import db
from campaign.signups.models import DELETED_SUPPORTER, STATUSES, Registration, shown_name

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


def attendee_query(event_id: int, search: str = "", status: str = "") -> Select:
    """Registrations of an event in arrival order, filtered by status and a search text."""
    query = select(Registration).where(
        Registration.event_id == event_id, Registration.anonymised_at.is_(None)
    )
    if status in STATUSES:
        query = query.where(Registration.status == status)
    search = search.strip()[:100]
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
        pattern = "%" + escaped.lower() + "%"
        query = query.where(
            or_(
                func.lower(Registration.name).like(pattern, escape="\\"),
                # SQLite's lower() folds ASCII only: also match the name as typed ("Élodie").
                Registration.name.like("%" + escaped + "%", escape="\\"),
                Registration.email.like(pattern, escape="\\"),
            )
        )
    return query.order_by(Registration.id)


def check_in_warning(event: Event, now: datetime) -> str | None:
    """What to tell an organizer checking someone in outside the event's own day(s).

    The days are the event's local calendar days, from its start to its end; check-in
    still works outside them (a door list may be ticked late), with a warning.
    """
    today = to_local(now, event.timezone).date()
    first = to_local(event.starts_at, event.timezone).date()
    last = to_local(event.ends_at, event.timezone).date()
    if today < first:
        return (
            f"Checked in early: the event starts {format_local(event.starts_at, event.timezone)}. "
            "Undo it if this was a mistake."
        )
    if today > last:
        return (
            f"Checked in after the event: it ended {format_local(event.ends_at, event.timezone)}."
        )
    return None


def counts(event_id: int) -> dict[str, int]:
    """confirmed, waitlisted, cancelled and checked_in for one event, in one query."""
    row = db.session.execute(
        select(
            func.count(case((Registration.status == "confirmed", 1))),
            func.count(case((Registration.status == "waitlisted", 1))),
            func.count(case((Registration.status == "cancelled", 1))),
            func.count(
                case(
                    (
                        (Registration.status == "confirmed")
                        & Registration.checked_in_at.is_not(None),
                        1,
                    )
                )
            ),
        ).where(Registration.event_id == event_id)
    ).one()
    return dict(zip(("confirmed", "waitlisted", "cancelled", "checked_in"), row, strict=True))


def top_referrers(event_id: int, limit: int = 10) -> list[tuple[str, int]]:
    """(referrer name, how many registered through their link), most first.

    A referral code only counts on its own event, so the event's referred rows are
    grouped first (read from an index) and only the top referrers' names are fetched.
    """
    referred = (
        select(Registration.referred_by_id.label("referrer_id"), func.count().label("n"))
        .where(Registration.event_id == event_id, Registration.referred_by_id.is_not(None))
        .group_by(Registration.referred_by_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Registration.name, Registration.anonymised_at, referred.c.n)
        .join(referred, referred.c.referrer_id == Registration.id)
        .where(Registration.event_id == event_id)
        .order_by(referred.c.n.desc(), Registration.id)
        .limit(limit)
    )
    return [(shown_name(name, gone), n) for name, gone, n in rows]


def anonymised_count(event_id: int) -> int:
    """How many of the event's registrations had their personal data deleted."""
    return (
        db.session.scalar(
            select(func.count()).where(
                Registration.event_id == event_id, Registration.anonymised_at.is_not(None)
            )
        )
        or 0
    )


def neutralise(value: Any) -> str:
    """A CSV cell on one line that spreadsheets will not run as a formula.

    Every line break (CR, LF, NEL, U+2028, ...) becomes a space: some readers split rows
    on breaks even inside quotes. Text starting (after spaces) with = + - @ or tab gets a
    leading apostrophe; a plain number, negative ones included, stays a number.
    """
    text = "" if value is None else LINE_BREAK.sub(" ", str(value))
    if text.lstrip(" ").startswith(_DANGEROUS_START) and not _NUMBER.match(text):
        return "'" + text
    return text


CSV_HEADER = (
    "Name",
    "Email",
    "Status",
    "Registered (UTC)",
    "Confirmed (UTC)",
    "Checked in (UTC)",
    "Keep informed",
    "Referred by code",
    "Referral code",
)


def csv_rows(event_id: int, batch: int = 200) -> Iterator[str]:
    """The attendee CSV, streamed: the header at once, then one chunk per batch of rows.

    Only the exported columns are read, as plain rows (no ORM objects), through a
    cursor that fetches `batch` rows at a time, so memory and the time to the first
    rows stay the same however many people registered.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    yield "\ufeff" + buffer.getvalue()
    referrer = aliased(Registration)
    query = (
        select(
            Registration.name,
            Registration.email,
            Registration.status,
            Registration.created_at,
            Registration.confirmed_at,
            Registration.checked_in_at,
            Registration.is_consenting_to_updates,
            referrer.referral_code,
            referrer.anonymised_at,
            Registration.referral_code,
        )
        .outerjoin(referrer, Registration.referred_by_id == referrer.id)
        .where(Registration.event_id == event_id, Registration.anonymised_at.is_(None))
        .order_by(Registration.id)
        .execution_options(yield_per=batch)
    )
    for rows in db.session.execute(query).partitions():
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(map(_csv_cells, rows))
        yield buffer.getvalue()


def _csv_cells(row: Any) -> list[str]:
    """One attendee's CSV cells, neutralised against formulas."""
    name, email, status, created, confirmed, checked_in, consenting, ref_code, ref_gone, code = row
    if ref_gone is not None:  # the referrer deleted their data: their code goes with it
        ref_code = DELETED_SUPPORTER
    return [
        neutralise(name),
        neutralise(email),
        status,
        _stamp(created),
        _stamp(confirmed),
        _stamp(checked_in),
        "yes" if consenting else "no",
        neutralise(ref_code or ""),
        neutralise(code),
    ]


def _stamp(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def csv_filename(slug: str) -> str:
    """attendees-<slug>.csv with only safe characters."""
    safe = re.sub(r"[^a-z0-9-]+", "-", slug.lower()).strip("-")[:60] or "event"
    return f"attendees-{safe}.csv"
