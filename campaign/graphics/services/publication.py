"""Publishing myth/fact pairs: approval, proposed edits (revisions), withdrawal, deletion.

Who may do what:

- a pair that has never been public (a draft) is edited and deleted by any organizer;
- once a pair has been public, its text changes only through an admin. An organizer's
  save becomes a pending revision and the public page keeps the approved text and cards
  until an admin approves it (or discards it); an admin's own save is published at once;
- only admins approve, withdraw and delete pairs that are (or were) public. A withdrawn or
  deleted pair keeps its row, so its page and its card URLs answer 410 Gone.

Plain arguments in, no request object. A service adds and flushes; the caller commits.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from campaign.campaigns.models import Campaign
from campaign.core.database import write_transaction
from campaign.extensions import db
from campaign.graphics.models import (
    REVISION_APPROVED,
    REVISION_DISCARDED,
    REVISION_PENDING,
    REVISION_SUPERSEDED,
    FactCard,
    FactRevision,
    FactTexts,
)
from campaign.graphics.services.cardfit import fit_messages, texts_fit_problems
from campaign.graphics.services.content import (
    ContentError,
    ContentInput,
    ContentInvalid,
    update_draft,
    validate_content,
)
from campaign.graphics.services.registry import withdraw_fact_cards
from campaign.organizers.models import Organizer

log = logging.getLogger(__name__)

# What save_fact did, for the editor's message.
SAVED = "saved"  # a draft (or a withdrawn pair, by an admin) was changed; nothing public
PUBLISHED = "published"  # an admin's change to a public pair is live
PROPOSED = "proposed"  # an organizer's change waits for an admin
UNCHANGED = "unchanged"  # nothing to save
SET_ASIDE = "set_aside"  # an admin kept the live text: the pending edit was superseded

ADMINS_ONLY = "Only an admin can do this: the pair has been public."
STALE_REVISION = (
    "This edit is no longer the pending one (it was approved, discarded or replaced by a "
    "newer proposal meanwhile). Look at the pair again before deciding."
)


def pending_revision(card: FactCard) -> FactRevision | None:
    """The pair's edit waiting for approval, if any."""
    return db.session.scalar(
        select(FactRevision).where(
            FactRevision.fact_card_id == card.id, FactRevision.status == REVISION_PENDING
        )
    )


def pending_revisions(campaign_id: int) -> dict[int, FactRevision]:
    """pair id -> its pending edit, for the campaign's editor list."""
    rows = db.session.scalars(
        select(FactRevision)
        .join(FactCard, FactCard.id == FactRevision.fact_card_id)
        .where(FactCard.campaign_id == campaign_id, FactRevision.status == REVISION_PENDING)
    )
    return {row.fact_card_id: row for row in rows}


def revision_history(card: FactCard, limit: int = 10) -> list[FactRevision]:
    """The pair's decided revisions, newest first."""
    return list(
        db.session.scalars(
            select(FactRevision)
            .where(FactRevision.fact_card_id == card.id, FactRevision.status != REVISION_PENDING)
            .order_by(FactRevision.proposed_at.desc(), FactRevision.id.desc())
            .limit(limit)
        )
    )


def _lock(card: FactCard) -> None:
    """Serialise decisions on one pair (row lock on PostgreSQL, the writer lock on SQLite)."""
    write_transaction()
    db.session.execute(select(FactCard.id).where(FactCard.id == card.id).with_for_update())
    db.session.refresh(card)


def _require_admin(organizer: Organizer, message: str = ADMINS_ONLY) -> None:
    """Raise ContentError(message) unless the organizer is an admin."""
    if not organizer.is_admin:
        raise ContentError(message)


def _require_fits(campaign: Campaign, texts: FactTexts, slug: str, what: str) -> None:
    """Raise ContentError unless the texts fit every card (what says which texts)."""
    cut = texts_fit_problems(campaign, texts, slug)
    if cut:
        raise ContentError(
            f"{what} no longer fits the cards (the campaign name, hashtag or disclaimer "
            "changed). Edit it first: " + " ".join(fit_messages(cut).values())
        )


def save_fact(
    campaign: Campaign, card: FactCard, data: ContentInput, organizer: Organizer, now: datetime
) -> str:
    """Save the editor's text for a pair; returns what happened (SAVED, PUBLISHED, ...).

    Text that does not fit every card is refused with how much to cut (ContentInvalid),
    for a proposal as for a draft.
    """
    if not card.was_published:
        return SAVED if update_draft(campaign, card, data) else UNCHANGED
    validate_content(campaign, data)
    if data.slug and data.slug != card.slug:
        raise ContentInvalid(
            {
                "slug": "The short name of a pair that has been public stays as it is, so "
                "links already shared keep working."
            }
        )
    texts = FactTexts(
        data.myth, data.fact, data.source_title, data.source_quote, data.source_id, data.reason
    )
    _lock(card)
    pending = pending_revision(card)
    if not organizer.is_admin:
        if texts == card.texts() or (pending is not None and texts == pending.texts()):
            return UNCHANGED
        if pending is not None:
            pending.decide(REVISION_SUPERSEDED, organizer, now)
            db.session.flush()  # one pending revision per pair: close the old one first
        db.session.add(_revision(card, texts, organizer, now))
        db.session.flush()
        return PROPOSED
    if pending is not None:
        pending.decide(REVISION_SUPERSEDED, organizer, now)
        db.session.flush()
    if texts == card.texts():
        return SET_ASIDE if pending is not None else UNCHANGED
    revision = _revision(card, texts, organizer, now)
    revision.decide(REVISION_APPROVED, organizer, now)
    db.session.add(revision)
    _apply(card, texts, organizer, now)
    db.session.flush()
    return PUBLISHED if card.is_approved else SAVED


def _revision(
    card: FactCard, texts: FactTexts, organizer: Organizer, now: datetime
) -> FactRevision:
    """A pending revision of the pair with these texts."""
    return FactRevision(
        fact_card_id=card.id,
        myth=texts.myth,
        fact=texts.fact,
        source_title=texts.source_title,
        source_quote=texts.source_quote,
        source_id=texts.source_id,
        reason=texts.reason,
        status=REVISION_PENDING,
        proposed_by=organizer,
        proposed_at=now,
    )


def _apply(card: FactCard, texts: FactTexts, organizer: Organizer, now: datetime) -> None:
    """Make texts the pair's text (approved now by this admin if it is public)."""
    card.set_texts(texts)
    if card.is_approved:  # the live text is now this one, approved by this admin
        card.approved_at = now
        card.approved_by = organizer


def approve_revision(
    campaign: Campaign, card: FactCard, revision_id: int, organizer: Organizer, now: datetime
) -> None:
    """Publish the pair's pending edit (admins only): the page and cards switch to it."""
    _require_admin(organizer, "Only an admin can approve an edit.")
    _lock(card)
    pending = pending_revision(card)
    if pending is None or pending.id != revision_id:
        raise ContentError(STALE_REVISION)
    _require_fits(campaign, pending.texts(), card.slug, "The pending edit")
    pending.decide(REVISION_APPROVED, organizer, now)
    _apply(card, pending.texts(), organizer, now)
    db.session.flush()


def discard_revision(card: FactCard, revision_id: int, organizer: Organizer, now: datetime) -> None:
    """Drop the pair's pending edit (admins only); the live text stays."""
    _require_admin(organizer, "Only an admin can discard an edit.")
    _lock(card)
    pending = pending_revision(card)
    if pending is None or pending.id != revision_id:
        raise ContentError(STALE_REVISION)
    pending.decide(REVISION_DISCARDED, organizer, now)
    db.session.flush()


def approve_fact(campaign: Campaign, card: FactCard, organizer: Organizer, now: datetime) -> None:
    """Make a pair public, or public again after a withdrawal (admins only; checked again
    that it still fits every card)."""
    _require_admin(organizer, "Only an admin can approve content.")
    if card.is_approved:
        return
    _require_fits(campaign, card.texts(), card.slug, "This pair")
    card.approve(organizer, now)
    db.session.flush()


def withdraw_fact(card: FactCard, organizer: Organizer, now: datetime) -> int:
    """Take a public pair off the site (admins only): its page and card URLs answer 410
    and its card files are deleted. Returns how many files were deleted."""
    _require_admin(organizer, "Only an admin can withdraw a pair.")
    if not card.is_approved:
        raise ContentError("This pair is not public.")
    card.withdraw(organizer, now)
    db.session.flush()
    deleted = withdraw_fact_cards(card)
    log.info("myth/fact pair %s withdrawn; %d card files deleted", card.id, deleted)
    return deleted


def delete_fact(card: FactCard, organizer: Organizer, now: datetime) -> None:
    """Delete a pair. A draft goes for good (any organizer); a pair that has been public is
    withdrawn and hidden from the editor (admins only), so shared links answer 410."""
    if not card.was_published:
        db.session.delete(card)
        db.session.flush()
        return
    _require_admin(organizer, "This pair has been public: only an admin can delete it.")
    if card.is_approved:
        withdraw_fact(card, organizer, now)
    else:
        withdraw_fact_cards(card)  # files a late render may have left
    pending = pending_revision(card)
    if pending is not None:
        pending.decide(REVISION_DISCARDED, organizer, now)
    card.deleted_at = now
    db.session.flush()
