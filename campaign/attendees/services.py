"""Attendee queries for organizers, and the CSV export."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import aliased

from campaign.extensions import db
from campaign.signups.models import STATUSES, Registration

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
        select(Registration.name, referred.c.n)
        .join(referred, referred.c.referrer_id == Registration.id)
        .where(Registration.event_id == event_id)
        .order_by(referred.c.n.desc(), Registration.id)
        .limit(limit)
    )
    return [(name, n) for name, n in rows]


def neutralise(value: Any) -> str:
    """A CSV cell that spreadsheets will not run as a formula.

    Text starting with = + - @ tab or CR gets a leading apostrophe; a plain number,
    negative ones included, stays a number.
    """
    text = "" if value is None else str(value)
    if text.startswith(_DANGEROUS_START) and not _NUMBER.match(text):
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
    name, email, status, created, confirmed, checked_in, consenting, ref_code, code = row
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
