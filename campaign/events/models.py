"""The Event table and the rules about one event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.campaigns.models import Campaign
from campaign.core.timeutil import format_local, format_range, utcnow
from campaign.core.types import UTCDateTime
from campaign.extensions import Model
from campaign.i18n.markers import N_
from campaign.organizers.models import Organizer

STATUS_DRAFT = "draft"
STATUS_PUBLISHED = "published"
STATUS_CANCELLED = "cancelled"
STATUSES = (STATUS_DRAFT, STATUS_PUBLISHED, STATUS_CANCELLED)

FORMAT_IN_PERSON = "in_person"
FORMAT_ONLINE = "online"
FORMAT_HYBRID = "hybrid"
VENUE_FORMATS = (FORMAT_IN_PERSON, FORMAT_HYBRID)  # the formats with a place to go to
FORMATS = {
    FORMAT_IN_PERSON: N_("In person"),
    FORMAT_ONLINE: N_("Online"),
    FORMAT_HYBRID: N_("Hybrid (in person and online)"),
}

DEFAULT_REMINDER_OFFSETS = (7 * 24 * 60, 24 * 60, 2 * 60)

TITLE_MAX = 120
SUMMARY_MAX = 280
DESCRIPTION_MAX = 5000


class PlaceFormat:
    """The rules an event's format decides: online only, or with a place to go to (Event
    and the listing map's plain rows, campaign.events.eventmap.MapEvent)."""

    format: str

    @property
    def is_online(self) -> bool:
        return self.format == FORMAT_ONLINE

    @property
    def has_venue(self) -> bool:
        return self.format in VENUE_FORMATS


class Event(PlaceFormat, Model):
    """An event of a campaign. Instants are stored in UTC and shown in `timezone`."""

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        Index("ix_events_status_starts_at", "status", "starts_at"),
        # The public listing's count and its page-cache version, read from the index alone.
        Index(
            "ix_events_campaign_listing",
            "campaign_id",
            "status",
            "starts_at",
            "ends_at",
            "updated_at",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed as the first column of ix_events_campaign_listing.
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    organizer_id: Mapped[int] = mapped_column(ForeignKey("organizers.id"), index=True)
    slug: Mapped[str] = mapped_column(String(160), unique=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    summary: Mapped[str] = mapped_column(String(SUMMARY_MAX), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(20), default=FORMAT_IN_PERSON)
    venue: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    city: Mapped[str] = mapped_column(String(100), default="", index=True)
    region: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(100), default="")
    # Where the event is on the public map (WGS 84 degrees); both or neither.
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()
    join_url: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int | None] = mapped_column()
    is_waitlist_enabled: Mapped[bool] = mapped_column(default=True)
    # The public page says "N going" (confirmed registrations, a count only) when on.
    is_going_count_public: Mapped[bool] = mapped_column(default=False)
    accessibility_notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=STATUS_DRAFT)
    # Reminder offsets before the start, in minutes (default 7 days, 1 day, 2 hours).
    reminder_offsets: Mapped[list[int]] = mapped_column(
        JSON, default=lambda: list(DEFAULT_REMINDER_OFFSETS)
    )
    is_reminders_enabled: Mapped[bool] = mapped_column(default=True)
    is_thank_you_enabled: Mapped[bool] = mapped_column(default=True)
    # RFC 5545 SEQUENCE: bumped when the time or place changes.
    sequence: Mapped[int] = mapped_column(default=0)
    # Bumped (campaign.signups.services.seats_changed) in the transaction of every change
    # to the event's seats: a registration added, promoted or cancelled. The public
    # listing's cache key sums it over the listed events instead of counting registrations.
    seats_version: Mapped[int] = mapped_column(default=0, server_default="0")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cloned_from_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    campaign: Mapped[Campaign] = relationship()
    organizer: Mapped[Organizer] = relationship()

    @property
    def is_published(self) -> bool:
        return self.status == STATUS_PUBLISHED

    @property
    def is_cancelled(self) -> bool:
        return self.status == STATUS_CANCELLED

    @property
    def is_draft(self) -> bool:
        return self.status == STATUS_DRAFT

    def is_past(self, now: datetime | None = None) -> bool:
        """True once the event has ended."""
        return self.ends_at <= (now or utcnow())

    def display_status(self, now: datetime | None = None) -> str:
        """draft, published, cancelled or past."""
        if self.status == STATUS_PUBLISHED and self.is_past(now):
            return "past"
        return self.status

    @property
    def format_label(self) -> str:
        return FORMATS.get(self.format, self.format)

    @property
    def when_text(self) -> str:
        """The start-end range in the event's own zone, with its abbreviation."""
        return format_range(self.starts_at, self.ends_at, self.timezone)

    @property
    def starts_text(self) -> str:
        return format_local(self.starts_at, self.timezone)

    @property
    def place_text(self) -> str:
        """Where it happens, in one line: venue and city, or Online."""
        if self.format == FORMAT_ONLINE:
            return "Online"
        parts = [p for p in (self.venue, self.city) if p]
        text = ", ".join(parts) if parts else "Venue to be announced"
        if self.format == FORMAT_HYBRID:
            text += " and online"
        return text

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"


class EventTranslation(Model):
    """An event's title, summary and description in another language than the
    campaign's default (campaign.events.translations). A blank summary or description
    means the default-language one is shown, with a note saying so."""

    __tablename__ = "event_translations"
    __table_args__ = (UniqueConstraint("event_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed as the first column of the unique (event_id, locale).
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    summary: Mapped[str] = mapped_column(String(SUMMARY_MAX), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<EventTranslation {self.event_id} {self.locale}>"
