"""Share-graphics tables: the myth/fact content and the registry of rendered card keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.campaigns.models import Campaign
from campaign.core.timeutil import utcnow
from campaign.core.types import UTCDateTime
from campaign.extensions import Model
from campaign.organizers.models import Organizer

SLUG_MAX = 80
MYTH_MAX = 300
FACT_MAX = 600
SOURCE_TITLE_MAX = 200
QUOTE_MAX = 2000
SOURCE_AUTHOR_MAX = 200
SOURCE_URL_MAX = 500
SOURCE_TEXT_MAX = 200_000


class Source(Model):
    """A text the campaign's facts come from: title, author or publisher, date, address and
    its full text, so every pair's quote can be checked against it (and by anyone).

    Pairs keep a copy of the title they were approved with (`FactCard.source_title`); when
    a source's title changes, its pairs' copies change with it (services.sources).
    """

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(SOURCE_TITLE_MAX))
    author: Mapped[str] = mapped_column(String(SOURCE_AUTHOR_MAX), default="")
    published_on: Mapped[date | None] = mapped_column(Date)
    url: Mapped[str] = mapped_column(String(SOURCE_URL_MAX), default="")
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Source {self.id} {self.title[:30]!r}>"


class FactCard(Model):
    """One myth-versus-fact pair of a campaign; only approved pairs are public.

    `source_quote` is the sentence of the source article the pair rests on; it is shown to
    organizers (and on the gallery) so every fact can be checked against its source.
    Once a pair has been public its text columns hold the approved (live) text: changes
    wait as a FactRevision until an admin approves them. A withdrawn pair keeps its row
    (`withdrawn_at`) so that its page and card URLs say it is gone; `deleted_at` hides it
    from the editor as well.
    """

    __tablename__ = "fact_cards"
    __table_args__ = (UniqueConstraint("campaign_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed as the first column of the unique (campaign_id, slug).
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    slug: Mapped[str] = mapped_column(String(SLUG_MAX))
    myth: Mapped[str] = mapped_column(String(MYTH_MAX))
    fact: Mapped[str] = mapped_column(String(FACT_MAX))
    source_title: Mapped[str] = mapped_column(String(SOURCE_TITLE_MAX), default="")
    source_quote: Mapped[str] = mapped_column(Text, default="")
    # A sentence of the source, copied exactly, that says why the myth is wrong ("" if none).
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), index=True)
    is_approved: Mapped[bool] = mapped_column(default=False)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizers.id", ondelete="SET NULL")
    )
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizers.id", ondelete="SET NULL")
    )
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    campaign: Mapped[Campaign] = relationship()
    source: Mapped[Source | None] = relationship()
    approved_by: Mapped[Organizer | None] = relationship(foreign_keys=[approved_by_id])
    withdrawn_by: Mapped[Organizer | None] = relationship(foreign_keys=[withdrawn_by_id])

    @property
    def is_withdrawn(self) -> bool:
        """It was public and was taken off the site (its page answers 410)."""
        return self.withdrawn_at is not None

    @property
    def was_published(self) -> bool:
        """Public now or before: its text only changes through an admin."""
        return self.is_approved or self.is_withdrawn

    def approve(self, organizer: Organizer | None, now: datetime) -> None:
        """Make the pair public (again, for a withdrawn pair)."""
        self.is_approved = True
        self.approved_at = now
        self.approved_by = organizer
        self.withdrawn_at = None
        self.withdrawn_by = None

    def withdraw(self, organizer: Organizer | None, now: datetime) -> None:
        """Take the pair off the public site; its page and cards answer 410 Gone."""
        self.is_approved = False
        self.withdrawn_at = now
        self.withdrawn_by = organizer

    def texts(self) -> FactTexts:
        """What the card and page say (the live text once the pair has been public)."""
        return FactTexts(
            self.myth, self.fact, self.source_title, self.source_quote, self.source_id, self.reason
        )

    def set_texts(self, texts: FactTexts) -> None:
        """Replace the texts and the source (the live text once the pair has been public)."""
        self.myth, self.fact = texts.myth, texts.fact
        self.source_title, self.source_quote = texts.source_title, texts.source_quote
        self.source_id = texts.source_id
        self.reason = texts.reason

    def __repr__(self) -> str:
        return f"<FactCard {self.slug}>"


@dataclass(frozen=True)
class FactTexts:
    """The texts of a pair and the source they cite: what a revision changes."""

    myth: str
    fact: str
    source_title: str
    source_quote: str
    source_id: int | None = None
    reason: str = ""


REVISION_PENDING = "pending"
REVISION_APPROVED = "approved"
REVISION_DISCARDED = "discarded"
REVISION_SUPERSEDED = "superseded"
REVISION_STATUSES = (REVISION_PENDING, REVISION_APPROVED, REVISION_DISCARDED, REVISION_SUPERSEDED)


class FactRevision(Model):
    """A change to the text of a pair that has been public: proposed, then decided.

    A pair has at most one pending revision (a newer proposal supersedes it). Approving
    copies the text into the pair; admins' own edits are stored approved at once, so the
    table is also the history of the public text.
    """

    __tablename__ = "fact_revisions"
    __table_args__ = (
        Index(
            "ix_fact_revisions_one_pending",
            "fact_card_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fact_card_id: Mapped[int] = mapped_column(
        ForeignKey("fact_cards.id", ondelete="CASCADE"), index=True
    )
    myth: Mapped[str] = mapped_column(String(MYTH_MAX))
    fact: Mapped[str] = mapped_column(String(FACT_MAX))
    source_title: Mapped[str] = mapped_column(String(SOURCE_TITLE_MAX))
    source_quote: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=REVISION_PENDING)
    proposed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizers.id", ondelete="SET NULL")
    )
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizers.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    card: Mapped[FactCard] = relationship()
    proposed_by: Mapped[Organizer | None] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[Organizer | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def is_pending(self) -> bool:
        """Still waiting for an admin's decision."""
        return self.status == REVISION_PENDING

    def texts(self) -> FactTexts:
        """The texts (and source) the revision proposes."""
        return FactTexts(
            self.myth, self.fact, self.source_title, self.source_quote, self.source_id, self.reason
        )

    def decide(self, status: str, organizer: Organizer | None, now: datetime) -> None:
        """Close the revision (approved, discarded or superseded)."""
        self.status = status
        self.decided_by = organizer
        self.decided_at = now

    def __repr__(self) -> str:
        return f"<FactRevision {self.id} {self.status}>"


class CardRender(Model):
    """A content-addressed card key and what it draws, so /cards/<key>.png can render it.

    `spec` holds the card's inputs (the logo by its digest). A card that shows a
    registrant's first name stores only the registration id: it is rebuilt from the
    registration when served, and stops existing when the name is withdrawn.
    `referenced_at` is the last time the key was known to be current (a page or mail
    pointed at it); files are only pruned once a key has not been current for a while.
    `fact_card_id` names the pair a myth/fact card draws: when that pair is withdrawn the
    card answers 410 Gone and its file is deleted.
    """

    __tablename__ = "card_renders"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    preset: Mapped[str] = mapped_column(String(20))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    fact_card_id: Mapped[int | None] = mapped_column(
        ForeignKey("fact_cards.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    referenced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<CardRender {self.key} {self.kind}/{self.preset}>"


class FactTranslation(Model):
    """A pair's myth, fact and reason in another language, translated from the pair's
    source language (`source_locale`). Health content: public only once an admin approved
    it (campaign.graphics.services.fact_translations); like the pair itself, a change to
    an approved translation waits in the pending_* columns until an admin approves it
    (an admin's own change is approved at once). The quote stays the source's own words,
    in the source's language, on the pair."""

    __tablename__ = "fact_translations"
    __table_args__ = (UniqueConstraint("fact_card_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed as the first column of the unique (fact_card_id, locale).
    fact_card_id: Mapped[int] = mapped_column(ForeignKey("fact_cards.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(16))
    source_locale: Mapped[str] = mapped_column(String(16))
    myth: Mapped[str] = mapped_column(String(MYTH_MAX))
    fact: Mapped[str] = mapped_column(String(FACT_MAX))
    reason: Mapped[str] = mapped_column(Text, default="")
    is_approved: Mapped[bool] = mapped_column(default=False)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizers.id", ondelete="SET NULL")
    )
    # A proposed change to an approved translation (None: none waiting).
    pending_myth: Mapped[str | None] = mapped_column(String(MYTH_MAX))
    pending_fact: Mapped[str | None] = mapped_column(String(FACT_MAX))
    pending_reason: Mapped[str | None] = mapped_column(Text)
    proposed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizers.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    card: Mapped[FactCard] = relationship()

    @property
    def has_pending(self) -> bool:
        return self.pending_fact is not None

    def __repr__(self) -> str:
        return f"<FactTranslation {self.fact_card_id} {self.locale}>"
