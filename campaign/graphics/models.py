"""Share-graphics tables: the myth/fact content and the registry of rendered card keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.campaigns.models import Campaign
from campaign.core.timeutil import utcnow
from campaign.core.types import UTCDateTime
from campaign.extensions import db
from campaign.organizers.models import Organizer

SLUG_MAX = 80
MYTH_MAX = 300
FACT_MAX = 600
SOURCE_TITLE_MAX = 200
QUOTE_MAX = 2000


class FactCard(db.Model):
    """One myth-versus-fact pair of a campaign; only approved pairs are public.

    `source_quote` is the sentence of the source article the pair rests on; it is shown to
    organizers (and on the gallery) so every fact can be checked against its source.
    """

    __tablename__ = "fact_cards"
    __table_args__ = (UniqueConstraint("campaign_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    slug: Mapped[str] = mapped_column(String(SLUG_MAX))
    myth: Mapped[str] = mapped_column(String(MYTH_MAX))
    fact: Mapped[str] = mapped_column(String(FACT_MAX))
    source_title: Mapped[str] = mapped_column(String(SOURCE_TITLE_MAX), default="")
    source_quote: Mapped[str] = mapped_column(Text, default="")
    is_approved: Mapped[bool] = mapped_column(default=False)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizers.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    campaign: Mapped[Campaign] = relationship()
    approved_by: Mapped[Organizer | None] = relationship()

    def approve(self, organizer: Organizer | None, now: datetime) -> None:
        """Make the pair public."""
        self.is_approved = True
        self.approved_at = now
        self.approved_by = organizer

    def withdraw_approval(self) -> None:
        """Take the pair off the public site until it is approved again."""
        self.is_approved = False
        self.approved_at = None
        self.approved_by = None

    def __repr__(self) -> str:
        return f"<FactCard {self.slug}>"


class CardRender(db.Model):
    """A content-addressed card key and what it draws, so /cards/<key>.png can render it.

    `spec` holds the card's inputs (the logo by its digest). A card that shows a
    registrant's first name stores only the registration id: it is rebuilt from the
    registration when served, and stops existing when the name is withdrawn.
    `referenced_at` is the last time the key was known to be current (a page or mail
    pointed at it); files are only pruned once a key has not been current for a while.
    """

    __tablename__ = "card_renders"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    preset: Mapped[str] = mapped_column(String(20))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    referenced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<CardRender {self.key} {self.kind}/{self.preset}>"
