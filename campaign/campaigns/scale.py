"""Scale data: fill a campaign with many events and registrations, for benchmarks and tests.

Rows go in as plain values through Core `insert()` executemany batches, with their ids
chosen here (so referrals and outbox rows can point at them without reading back).
`ScaleFill.batches()` yields after each batch: the caller commits there (one transaction
per batch) and advances its progress bar. The data is believable rather than random:
events spread over cities, time zones and formats, a few events draw most of the
registrations (one "largest" event about a tenth of them), seats are confirmed within
capacity and waitlisted beyond it, and every registration has its sent status mail.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from campaign.campaigns.scale_data import (
    FIRST_NAMES,
    LAST_NAMES,
    PLACES,
    TOPICS,
    ascii_name,
    referral_code,
)
from campaign.core import database
from campaign.core.timeutil import local_to_utc
from campaign.events.models import (
    DEFAULT_REMINDER_OFFSETS,
    FORMAT_HYBRID,
    FORMAT_IN_PERSON,
    FORMAT_ONLINE,
    STATUS_CANCELLED,
    STATUS_DRAFT,
    STATUS_PUBLISHED,
    Event,
)
from campaign.events.services import event_slug
from campaign.extensions import db
from campaign.mail import models as mail_models
from campaign.mail.models import OutboxMessage
from campaign.organizers.models import ROLE_ORGANIZER, Organizer
from campaign.signups import models as signup_models
from campaign.signups.models import Registration
from campaign.signups.services import seats_changed
from campaign.signups.tokens import manage_token_hash

SCALE_DOMAIN = "scale.invalid"
ORGANIZERS = 12


@dataclass(frozen=True)
class ScalePlan:
    """How much to add: events, registrations, and how they are drawn."""

    events: int
    registrations: int
    largest_share: float = 0.10
    batch: int = 5000
    seed: int = 1


@dataclass
class _EventRow:
    values: dict[str, Any]
    registrations: int = 0

    @property
    def id(self) -> int:
        return self.values["id"]


@dataclass
class ScaleFill:
    """One fill of one campaign. Iterate batches() and commit after each step.

    After the events step, `event_ids` and `largest_event_id` are known; after the last
    step `registrations` and `outbox` say how many rows went in. Ids are taken from the
    current maximum, so run it while nobody is signing up (it is a seeding tool).
    """

    campaign_id: int
    campaign_day: date
    plan: ScalePlan
    now: datetime
    secret_key: str
    event_ids: list[int] = field(default_factory=list)
    largest_event_id: int | None = None
    registrations: int = 0
    outbox: int = 0

    def batches(self) -> Iterator[int]:
        """Insert the rows; yields registrations inserted so far (0 after the events)."""
        rng = random.Random(self.plan.seed)  # noqa: S311 - sample data; tokens use secrets
        run = secrets.token_hex(4)
        organizer_ids = _scale_organizers(self.now)
        events = self._events(rng, organizer_ids)
        database.insert_rows(Event, [e.values for e in events])
        database.sync_id_sequence(Event)
        self.event_ids = [e.id for e in events]
        yield 0

        next_id = database.next_id(Registration)
        registrations: list[dict[str, Any]] = []
        outbox: list[dict[str, Any]] = []
        for event in events:
            for row in self._registrations(rng, event, next_id):
                registrations.append(row)
                outbox.extend(self._mails(row, event, run, len(outbox) + self.outbox))
                if len(registrations) >= self.plan.batch:
                    self._flush(registrations, outbox)
                    registrations, outbox = [], []
                    yield self.registrations
            next_id += event.registrations
        if registrations:
            self._flush(registrations, outbox)
            yield self.registrations

    # --- events ---------------------------------------------------------------------------

    def _events(self, rng: random.Random, organizer_ids: list[int]) -> list[_EventRow]:
        first_id = database.next_id(Event)
        taken = set(db.session.scalars(select(Event.slug)))
        rows = []
        for n in range(self.plan.events):
            rows.append(self._event(rng, first_id + n, organizer_ids, taken))
        self._share_registrations(rng, rows)
        return rows

    def _event(
        self, rng: random.Random, event_id: int, organizer_ids: list[int], taken: set[str]
    ) -> _EventRow:
        place = rng.choice(PLACES)
        topic, summary = rng.choice(TOPICS)
        fmt = rng.choices((FORMAT_IN_PERSON, FORMAT_ONLINE, FORMAT_HYBRID), (60, 25, 15))[0]
        status = rng.choices((STATUS_PUBLISHED, STATUS_DRAFT, STATUS_CANCELLED), (90, 6, 4))[0]
        # Mostly in the weeks up to and just after the campaign day; about one in eight is over.
        until_day = max((self.campaign_day - self.now.date()).days, 1)
        if rng.random() < 0.12:
            day = self.now.date() - timedelta(days=rng.randint(2, 20))
        else:
            day = self.now.date() + timedelta(days=rng.randint(1, until_day + 10))
        start_local = datetime.combine(day, time(rng.randint(9, 19), rng.choice((0, 30))))
        starts_at = local_to_utc(start_local, place.timezone)
        created_at = self.now - timedelta(days=rng.uniform(35, 60))
        city = "" if fmt == FORMAT_ONLINE else place.city
        title = f"{topic}: {place.city}" if city else f"{topic} (online, {place.timezone})"
        slug = event_slug(title)
        suffix = 2
        candidate = slug
        while candidate in taken:
            candidate, suffix = f"{slug}-{suffix}", suffix + 1
        taken.add(candidate)
        capacity: int | None
        if fmt == FORMAT_ONLINE:
            capacity = rng.choice((None, None, 300, 500))
        else:
            capacity = rng.choice((20, 30, 40, 50, 60, 80, 100, 150, 200))
        is_online = fmt in (FORMAT_ONLINE, FORMAT_HYBRID)
        values = {
            "id": event_id,
            "campaign_id": self.campaign_id,
            "organizer_id": rng.choice(organizer_ids),
            "slug": candidate,
            "title": title,
            "summary": summary,
            "description": f"{summary}\n\nEducational content for National Ketamine Day.",
            "starts_at": starts_at,
            "ends_at": starts_at + timedelta(minutes=rng.choice((60, 90, 120))),
            "timezone": place.timezone,
            "format": fmt,
            "venue": "" if fmt == FORMAT_ONLINE else place.venue,
            "address": "",
            "city": city,
            "region": place.region if city else "",
            "country": place.country if city else "",
            "join_url": f"https://meet.example.org/{candidate}" if is_online else "",
            "capacity": capacity,
            "is_waitlist_enabled": rng.random() < 0.85,
            "accessibility_notes": "Step-free access." if city else "Captions on.",
            "status": status,
            "reminder_offsets": list(DEFAULT_REMINDER_OFFSETS),
            "is_reminders_enabled": True,
            "is_thank_you_enabled": True,
            "sequence": 1 if status == STATUS_CANCELLED else 0,
            "published_at": None if status == STATUS_DRAFT else created_at + timedelta(days=1),
            "cancelled_at": self.now - timedelta(days=1) if status == STATUS_CANCELLED else None,
            "cloned_from_id": None,
            "created_at": created_at,
            "updated_at": created_at,
        }
        return _EventRow(values)

    def _share_registrations(self, rng: random.Random, rows: list[_EventRow]) -> None:
        """Uneven shares: one largest event, then a long tail (Pareto weights)."""
        open_rows = [r for r in rows if r.values["status"] != STATUS_DRAFT]
        if not open_rows or self.plan.registrations <= 0:
            return
        future = [
            r
            for r in open_rows
            if r.values["status"] == STATUS_PUBLISHED and r.values["starts_at"] > self.now
        ]
        # The largest is an upcoming event with a venue: a big hall, and a waitlist.
        largest = ([r for r in future if r.values["city"]] or future or open_rows)[0]
        largest.registrations = max(1, round(self.plan.registrations * self.plan.largest_share))
        largest.values.update(
            capacity=min(100_000, max(1, largest.registrations * 4 // 5)),
            is_waitlist_enabled=True,
        )
        self.largest_event_id = largest.id
        rest = [r for r in open_rows if r is not largest]
        remaining = self.plan.registrations - largest.registrations
        if not rest:
            largest.registrations += remaining
            return
        # Pareto shares, none above half the largest; what the cap cuts off is spread
        # one by one over the others, so the largest keeps its share.
        cap = max(largest.registrations // 2, 1)
        weights = [rng.paretovariate(1.3) for _ in rest]
        total = sum(weights)
        for row, weight in zip(rest, weights, strict=True):
            row.registrations = min(int(remaining * weight / total), cap)
        leftover = remaining - sum(r.registrations for r in rest)
        while leftover > 0:
            open_rest = [r for r in rest if r.registrations < cap]
            if not open_rest:
                largest.registrations += leftover
                break
            for row in open_rest[:leftover]:
                row.registrations += 1
            leftover -= min(len(open_rest), leftover)
        for row in open_rows:
            capacity = row.values["capacity"]
            if capacity is not None and row.registrations > capacity:
                row.values["is_waitlist_enabled"] = True

    # --- registrations ---------------------------------------------------------------------

    def _registrations(
        self, rng: random.Random, event: _EventRow, first_id: int
    ) -> Iterator[dict[str, Any]]:
        """The event's registrations in arrival order, statuses as the sign-up rules give."""
        n = event.registrations
        if n == 0:
            return
        values = event.values
        opened = values["published_at"]
        closes = min(self.now, values["starts_at"] - timedelta(hours=1))
        span = max((closes - opened).total_seconds(), 60.0)
        stamps = sorted(rng.random() * span for _ in range(n))
        capacity = values["capacity"]
        is_past = values["ends_at"] <= self.now
        confirmed = 0
        for i, offset in enumerate(stamps):
            reg_id = first_id + i
            created_at = opened + timedelta(seconds=offset)
            is_cancelled = rng.random() < 0.06
            if is_cancelled:
                status = signup_models.STATUS_CANCELLED
            elif capacity is None or confirmed < capacity:
                status = signup_models.STATUS_CONFIRMED
                confirmed += 1
            else:
                status = signup_models.STATUS_WAITLISTED
            first = FIRST_NAMES[int(rng.random() * len(FIRST_NAMES))]
            last = LAST_NAMES[int(rng.random() * len(LAST_NAMES))]
            referred_by = None
            if i > 0 and rng.random() < 0.12:
                # A few champions bring most friends: favour the earliest registrants.
                referred_by = first_id + min(int(rng.expovariate(1 / 8)), i - 1)
            consenting = rng.random() < 0.4
            nonce = secrets.token_hex(16)
            yield {
                "id": reg_id,
                "event_id": event.id,
                "name": f"{first} {last}",
                "email": f"{ascii_name(first)}.{ascii_name(last)}.{reg_id}@example.org",
                "status": status,
                "token_nonce": nonce,
                "token_hash": manage_token_hash(self.secret_key, nonce),
                "referral_code": referral_code(reg_id),
                "referred_by_id": referred_by,
                "is_consenting_to_updates": consenting,
                "consent_at": created_at if consenting else None,
                "is_name_on_card": rng.random() < 0.1,
                "is_unsubscribed": rng.random() < 0.02,
                "created_at": created_at,
                "confirmed_at": created_at if status == signup_models.STATUS_CONFIRMED else None,
                "cancelled_at": (
                    created_at + timedelta(hours=rng.uniform(1, 72)) if is_cancelled else None
                ),
                "checked_in_at": (
                    values["starts_at"] + timedelta(minutes=rng.randint(-15, 20))
                    if is_past and status == signup_models.STATUS_CONFIRMED and rng.random() < 0.75
                    else None
                ),
                "anonymised_at": None,
            }

    def _mails(
        self, registration: dict[str, Any], event: _EventRow, run: str, first_n: int
    ) -> list[dict[str, Any]]:
        """The sent mail of one registration: its status mail, and the cancellation."""
        status = registration["status"]
        created_at = registration["created_at"]
        if status == signup_models.STATUS_WAITLISTED:
            kinds = [(mail_models.KIND_WAITLISTED, status, created_at)]
        else:
            kinds = [(mail_models.KIND_CONFIRMED, signup_models.STATUS_CONFIRMED, created_at)]
        if status == signup_models.STATUS_CANCELLED:
            kinds.append((mail_models.KIND_CANCELLED_BY_YOU, status, registration["cancelled_at"]))
        title = event.values["title"]
        rows = []
        for n, (kind, key, at) in enumerate(kinds):
            rows.append(
                {
                    "kind": kind,
                    "event_id": event.id,
                    "registration_id": registration["id"],
                    "to_email": registration["email"],
                    "params": {"resend": False},
                    "subject": f"{kind.replace('_', ' ').capitalize()}: {title}",
                    "text_body": "",
                    "html_body": "",
                    "headers": {},
                    "ics": None,
                    "message_id": f"<scale-{run}-{first_n + n}@{SCALE_DOMAIN}>",
                    "dedupe_key": f"reg:{registration['id']}:{key}",
                    "status": mail_models.STATUS_SENT,
                    "attempts": 1,
                    "next_attempt_at": at,
                    "claimed_by": None,
                    "lease_until": None,
                    "last_error": None,
                    "created_at": at,
                    "sent_at": at + timedelta(seconds=30),
                }
            )
        return rows

    def _flush(self, registrations: list[dict[str, Any]], outbox: list[dict[str, Any]]) -> None:
        database.insert_rows(Registration, registrations)
        for event_id in sorted({row["event_id"] for row in registrations}):
            seats_changed(event_id)  # a listing cached meanwhile shows the new seats
        database.insert_rows(OutboxMessage, outbox)
        database.sync_id_sequence(Registration)
        self.registrations += len(registrations)
        self.outbox += len(outbox)


def _scale_organizers(now: datetime) -> list[int]:
    """The organizers that own the scale events: disabled accounts nobody can sign in as."""
    ids = list(
        db.session.scalars(
            select(Organizer.id)
            .where(Organizer.email.like(f"%@{SCALE_DOMAIN}"))
            .order_by(Organizer.id)
        )
    )
    for n in range(len(ids) + 1, ORGANIZERS + 1):
        organizer = Organizer(
            email=f"organizer{n}@{SCALE_DOMAIN}",
            name=f"{FIRST_NAMES[n % len(FIRST_NAMES)]} (organizer {n})",
            role=ROLE_ORGANIZER,
            is_enabled=False,
            created_at=now,
        )
        db.session.add(organizer)
        db.session.flush()
        ids.append(organizer.id)
    return ids


def largest_event_id(campaign_id: int) -> int | None:
    """The campaign's event with the most registrations."""
    return db.session.scalar(
        select(Registration.event_id)
        .join(Event, Registration.event_id == Event.id)
        .where(Event.campaign_id == campaign_id)
        .group_by(Registration.event_id)
        .order_by(func.count().desc(), Registration.event_id)
        .limit(1)
    )
