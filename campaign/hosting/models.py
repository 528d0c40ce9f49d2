"""The tables of hosting: proposals, the host's history, reviewers and the campaign's limits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.core.timeutil import format_range, utcnow
from campaign.core.types import UTCDateTime
from campaign.events.models import FORMAT_ONLINE, FORMATS, Event
from campaign.extensions import Model
from campaign.organizers.models import Organizer
from campaign.signups.models import DEFAULT_LANGUAGE, LANGUAGE_MAX

# A proposal's life: sent (email not confirmed yet) -> waiting (in the review queue) ->
# approved (an event exists), declined, or changes (back with the host, who resubmits).
STATUS_UNCONFIRMED = "unconfirmed"
STATUS_WAITING = "waiting"
STATUS_CHANGES = "changes"
STATUS_APPROVED = "approved"
STATUS_DECLINED = "declined"
STATUS_WITHDRAWN = "withdrawn"
STATUS_LABELS = {
    STATUS_UNCONFIRMED: "Email not confirmed",
    STATUS_WAITING: "Waiting for review",
    STATUS_CHANGES: "Changes asked for",
    STATUS_APPROVED: "Approved",
    STATUS_DECLINED: "Declined",
    STATUS_WITHDRAWN: "Withdrawn by the host",
}

HOST_NAME_MAX = 100
NOTE_MAX = 2000
MESSAGE_MAX = 2000
DEFAULT_CAPACITY_CEILING = 200


class HostProposal(Model):
    """An event a supporter proposes to host, and (once approved) their access to it.

    The details are the event's own fields, kept here until approval creates the event.
    The host's private link is derived from the secret key and token_nonce (as a
    registrant's manage link is); only its SHA-256 is stored. A revoked link opens
    nothing until an organizer sends a new one.
    """

    __tablename__ = "host_proposals"
    __table_args__ = (Index("ix_host_proposals_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=STATUS_UNCONFIRMED)
    host_name: Mapped[str] = mapped_column(String(HOST_NAME_MAX))
    host_email: Mapped[str] = mapped_column(String(254), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    # The locale the host proposed in: every mail to them is written in it (one no longer
    # offered falls back to the default when rendered).
    language: Mapped[str] = mapped_column(
        String(LANGUAGE_MAX), default=DEFAULT_LANGUAGE, server_default=DEFAULT_LANGUAGE
    )
    token_nonce: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    is_link_revoked: Mapped[bool] = mapped_column(default=False)
    # The event's details as proposed (instants in UTC, shown in `timezone`).
    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(String(280), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(20))
    venue: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(100), default="")
    # Where it would be on the public map (degrees); both or neither.
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()
    join_url: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int | None] = mapped_column()
    is_waitlist_enabled: Mapped[bool] = mapped_column(default=True)
    accessibility_notes: Mapped[str] = mapped_column(Text, default="")
    # The last decision's message to the host (changes asked for, or why it was declined).
    review_message: Mapped[str] = mapped_column(Text, default="")
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    event: Mapped[Event | None] = relationship()

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def is_editable_by_host(self) -> bool:
        """The host may change the proposal itself (not yet in review, or sent back)."""
        return self.status in (STATUS_UNCONFIRMED, STATUS_CHANGES)

    @property
    def when_text(self) -> str:
        return format_range(self.starts_at, self.ends_at, self.timezone)

    @property
    def format_label(self) -> str:
        return FORMATS.get(self.format, self.format)

    @property
    def place_text(self) -> str:
        if self.format == FORMAT_ONLINE:
            return "Online"
        return ", ".join(p for p in (self.venue, self.city) if p) or "Venue to be announced"

    def __repr__(self) -> str:
        return f"<HostProposal {self.id} {self.status}>"


class HostAction(Model):
    """One thing done to a proposal or its event: by the host (from their link) or by an
    organizer (a decision, a revoked link). Shown to organizers as the history."""

    __tablename__ = "host_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("host_proposals.id", ondelete="CASCADE"), index=True
    )
    organizer_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizers.id", ondelete="SET NULL")
    )
    # Who did it, in words as it was then ("Host Ana Diaz <ana@...>", "Organizer Sam").
    actor: Mapped[str] = mapped_column(String(400))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organizer: Mapped[Organizer | None] = relationship()


class ProposalReviewer(Model):
    """An organizer an admin allows to review proposals (admins always may)."""

    __tablename__ = "proposal_reviewers"

    organizer_id: Mapped[int] = mapped_column(
        ForeignKey("organizers.id", ondelete="CASCADE"), primary_key=True
    )
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class HostingSettings(Model):
    """What the campaign allows hosts: the most places a hosted event may offer."""

    __tablename__ = "hosting_settings"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    capacity_ceiling: Mapped[int] = mapped_column(default=DEFAULT_CAPACITY_CEILING)
