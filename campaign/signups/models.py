"""The Registration table and the rules about one registration."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Index,
    SQLColumnExpression,
    String,
    literal_column,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.core.timeutil import utcnow
from campaign.core.types import UTCDateTime
from campaign.events.models import Event
from campaign.extensions import Model

STATUS_CONFIRMED = "confirmed"
STATUS_WAITLISTED = "waitlisted"
STATUS_CANCELLED = "cancelled"
STATUSES = (STATUS_CONFIRMED, STATUS_WAITLISTED, STATUS_CANCELLED)
ACTIVE_STATUSES = (STATUS_CONFIRMED, STATUS_WAITLISTED)
# The active-email unique index's predicate.
_ACTIVE_PREDICATE = f"status != '{STATUS_CANCELLED}'"

NAME_MAX = 100
# A locale code as Babel names it ("es", "pt_BR", "zh_Hant_TW"): the registrant's language.
LANGUAGE_MAX = 16
DEFAULT_LANGUAGE = "en"
# How organizers see someone whose data was deleted, wherever their name would stand.
DELETED_SUPPORTER = "a deleted supporter"


def is_active_row(status: SQLColumnExpression[str]) -> ColumnElement[bool]:
    """`status` (a registrations status column, of any alias) is not cancelled, with the
    value written into the SQL as uq_registrations_active_email's predicate has it. A
    look-up by event and email that says so is answered from that index; with a bound
    parameter instead, a plan made for any value (PostgreSQL's generic plan of a
    prepared statement, every SQLite plan) cannot use the index and reads all the
    event's registrations."""
    return status != literal_column(f"'{STATUS_CANCELLED}'")


def shown_name(name: str, anonymised_at: datetime | None) -> str:
    """The name organizers see: the person's, or that their data was deleted."""
    return DELETED_SUPPORTER if anonymised_at is not None else name


class Registration(Model):
    """One person's place (or waitlist spot) at one event.

    At most one active (confirmed or waitlisted) registration per (event, email): a
    partial unique index enforces it in the database, so concurrent requests cannot
    create two. Waitlist order is arrival order (the primary key).
    """

    __tablename__ = "registrations"
    __table_args__ = (
        Index(
            "uq_registrations_active_email",
            "event_id",
            "email",
            unique=True,
            sqlite_where=text(_ACTIVE_PREDICATE),
            postgresql_where=text(_ACTIVE_PREDICATE),
        ),
        Index("ix_registrations_event_status", "event_id", "status", "id"),
        # The attendee list, its page count and the CSV: one event's live rows in id order.
        Index("ix_registrations_event_live", "event_id", "anonymised_at", "id"),
        # Per-event figures (status, checked in, referred) read from the index alone.
        Index(
            "ix_registrations_event_figures",
            "event_id",
            "status",
            "checked_in_at",
            "referred_by_id",
        ),
        # The dashboard's registrations per day: a range of created_at, scoped by event.
        Index("ix_registrations_created_at", "created_at", "event_id"),
        # The dashboard's top referrers: referred rows grouped by referrer, with their event.
        Index("ix_registrations_referrals", "referred_by_id", "event_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(20))
    # The manage link's token is derived from the secret key and this nonce; only its
    # SHA-256 is stored, for look-ups.
    token_nonce: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    referral_code: Mapped[str] = mapped_column(String(16), unique=True)
    # Indexed as the first column of ix_registrations_referrals.
    referred_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL")
    )
    is_consenting_to_updates: Mapped[bool] = mapped_column(default=False)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    is_name_on_card: Mapped[bool] = mapped_column(default=False)
    # One-click unsubscribe from campaign mail (reminders, broadcasts, thank-you).
    is_unsubscribed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The locale the person registered in (or later chose on their page): every mail to
    # them is written in it. One no longer offered falls back to the default when rendered.
    language: Mapped[str] = mapped_column(
        String(LANGUAGE_MAX), default=DEFAULT_LANGUAGE, server_default=DEFAULT_LANGUAGE
    )

    event: Mapped[Event] = relationship()

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_confirmed(self) -> bool:
        return self.status == STATUS_CONFIRMED

    @property
    def is_waitlisted(self) -> bool:
        return self.status == STATUS_WAITLISTED

    @property
    def is_anonymised(self) -> bool:
        return self.anonymised_at is not None

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else ""

    def __repr__(self) -> str:
        return f"<Registration {self.id} {self.status}>"
