"""The myth/fact pairs: the default content file, the editor's checks, drafts and order.

Approval, proposed edits, withdrawal and deletion are in publication.py; whether the
texts fit the cards is in cardfit.py.

Plain arguments in, no request object. A service adds and flushes; the caller commits.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, func, select

from campaign.campaigns.models import Campaign
from campaign.config import REPO_ROOT
from campaign.core.forms import FieldErrors
from campaign.core.text import has_control_characters
from campaign.core.text import slugify as text_slugify
from campaign.extensions import db
from campaign.graphics.models import (
    FACT_MAX,
    MYTH_MAX,
    QUOTE_MAX,
    SLUG_MAX,
    FactCard,
    FactTexts,
)
from campaign.graphics.services.cardfit import fit_messages, fit_problems
from campaign.graphics.services.cardspecs import myth_fact_spec, render_png
from campaign.graphics.services.drawable import undrawable_message
from campaign.graphics.services.sources import (
    campaign_source,
    default_source,
    quote_problem,
    source_from_file,
)

CONTENT_FILE = REPO_ROOT / "assets" / "content" / "myths.json"


@dataclass
class ContentInput:
    """What an organizer types for one pair."""

    myth: str
    fact: str
    source_quote: str
    source_title: str = ""  # set from the chosen source by validate_content
    slug: str = ""
    source_id: int | None = None  # None: the campaign's default source
    reason: str = ""  # optional: a sentence of the source on why the myth is wrong


class ContentInvalid(FieldErrors):
    """Problems with a pair, per field ("myth", "fact", "source_title", "form", ...), and
    `cut`: how many characters each text must lose to fit the cards (for the live preview)."""

    def __init__(self, errors: dict[str, str], cut: dict[str, int] | None = None) -> None:
        super().__init__(errors)
        self.cut = cut or {}


class ContentError(ValueError):
    """An action on content that is not allowed (message for the organizer)."""


@dataclass(frozen=True)
class ContentFile:
    """The content file: its source record (title, and the file of its full text) and its
    myth/fact items."""

    source: dict[str, str]
    items: tuple[dict[str, str], ...]
    directory: Path
    call_to_action: dict[str, str] | None = None

    @property
    def source_title(self) -> str:
        """The source's title."""
        return self.source["title"]

    @property
    def source_text_path(self) -> Path:
        """The file holding the source's full text (beside the content file)."""
        return self.directory / self.source.get("text_file", "source-article.txt")


def read_content_file(path: Path = CONTENT_FILE) -> ContentFile:
    """The default myth/fact set (assets/content/myths.json)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return ContentFile(
        data["source"], tuple(data["items"]), path.parent, data.get("call_to_action")
    )


def _clean_text(value: str) -> str:
    """Text in NFC with runs of white space made one space."""
    return " ".join(unicodedata.normalize("NFC", value or "").split())


def slugify(text: str) -> str:
    """A pair's URL slug from text (core.text.slugify with the pairs' length and fallback)."""
    return text_slugify(text, SLUG_MAX, "fact")


def _unique_slug(campaign_id: int, wanted: str, exclude_id: int | None = None) -> str:
    """A slug for wanted that no other pair of the campaign has (-2, -3, ... added)."""
    base = slugify(wanted)[: SLUG_MAX - 4]
    slug, n = base, 2
    while True:
        query = select(FactCard.id).where(
            FactCard.campaign_id == campaign_id, FactCard.slug == slug
        )
        if exclude_id is not None:
            query = query.where(FactCard.id != exclude_id)
        if db.session.scalar(query) is None:
            return slug
        slug, n = f"{base}-{n}", n + 1


def validate_content(campaign: Campaign, data: ContentInput, *, preview: bool = False) -> None:
    """Normalise data in place; raise ContentInvalid listing every problem.

    The pair cites data.source_id (the campaign's default source when None), whose title
    goes into data.source_title; its quote must occur in that source's text. For a
    preview only what the card shows is checked (the source sentence may still be missing
    while the organizer is typing).
    """
    data.myth = _clean_text(data.myth)
    data.fact = _clean_text(data.fact)
    data.source_quote = " ".join((data.source_quote or "").split())
    data.reason = _clean_text(data.reason)
    source = (
        campaign_source(campaign.id, data.source_id)
        if data.source_id is not None
        else default_source(campaign.id)
    )
    data.source_id = source.id if source is not None else None
    data.source_title = source.title if source is not None else ""
    data.slug = slugify(data.slug) if data.slug.strip() else ""
    errors: dict[str, str] = {}
    limits = {"myth": MYTH_MAX, "fact": FACT_MAX, "source_quote": QUOTE_MAX, "reason": QUOTE_MAX}
    for name, limit in limits.items():
        value = getattr(data, name)
        if len(value) > limit:
            errors[name] = f"Use at most {limit} characters."
        elif has_control_characters(value):
            errors[name] = "Remove the invisible control characters."
        elif name != "source_quote" and (message := undrawable_message(value)):
            errors[name] = message
    if not data.myth:
        errors["myth"] = "Write the myth as people say it."
    if not data.fact:
        errors["fact"] = "Write the fact that answers the myth."
    if source is None:
        errors["source_id"] = "Choose the source the fact comes from (add it under Sources first)."
    if not data.source_quote and not preview:
        errors["source_quote"] = "Paste the sentence of the source the fact rests on."
    elif source is not None and data.source_quote and "source_quote" not in errors:
        problem = quote_problem(data.source_quote, source)
        if problem and not preview:
            errors["source_quote"] = problem
    if source is not None and data.reason and "reason" not in errors and not preview:
        reason_problem = quote_problem(data.reason, source)
        if reason_problem:
            errors["reason"] = reason_problem
    cut: dict[str, int] = {}
    if not errors and source is not None:
        slug = data.slug or data.myth
        cut = fit_problems(
            campaign, data.myth, data.fact, data.source_title, source.url, slug, data.reason
        )
        for name, message in fit_messages(cut).items():
            errors.setdefault(name, message)
    if errors:
        raise ContentInvalid(errors, cut)


def facts_query(campaign_id: int, approved_only: bool = False) -> Any:
    """The campaign's pairs in their display order (deleted ones left out)."""
    query = select(FactCard).where(
        FactCard.campaign_id == campaign_id, FactCard.deleted_at.is_(None)
    )
    if approved_only:
        query = query.where(FactCard.is_approved.is_(True))
    return query.order_by(FactCard.position, FactCard.id)


def approved_facts(campaign_id: int, limit: int | None = None) -> list[FactCard]:
    """Public pairs, in order."""
    query = facts_query(campaign_id, approved_only=True)
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def _fact_by_slug(campaign_id: int, slug: str, state: ColumnElement[bool]) -> FactCard | None:
    """The campaign's pair with this slug in this state (None for a slug too long to exist)."""
    if len(slug) > SLUG_MAX:
        return None
    return db.session.scalar(
        select(FactCard).where(FactCard.campaign_id == campaign_id, FactCard.slug == slug, state)
    )


def public_fact(campaign_id: int, slug: str) -> FactCard | None:
    """An approved pair by slug."""
    return _fact_by_slug(campaign_id, slug, FactCard.is_approved.is_(True))


def withdrawn_fact(campaign_id: int, slug: str) -> FactCard | None:
    """A pair that was public and has been withdrawn (or deleted), by slug: its page says so."""
    return _fact_by_slug(campaign_id, slug, FactCard.withdrawn_at.is_not(None))


def _next_position(campaign_id: int) -> int:
    """The position after the campaign's last pair."""
    highest = db.session.scalar(
        select(func.max(FactCard.position)).where(FactCard.campaign_id == campaign_id)
    )
    return (highest or 0) + 1


def create_fact(campaign: Campaign, data: ContentInput) -> FactCard:
    """Add a pair at the end of the list, not approved."""
    validate_content(campaign, data)
    card = FactCard(
        campaign_id=campaign.id,
        position=_next_position(campaign.id),
        slug=_unique_slug(campaign.id, data.slug or data.myth),
        myth=data.myth,
        fact=data.fact,
        source_title=data.source_title,
        source_quote=data.source_quote,
        source_id=data.source_id,
        reason=data.reason,
        is_approved=False,
    )
    db.session.add(card)
    db.session.flush()
    return card


def update_draft(campaign: Campaign, card: FactCard, data: ContentInput) -> bool:
    """Save a pair that has never been public (text and short name); True if it changed.

    Pairs that have been public change through publication.save_fact (revisions).
    """
    if card.was_published:
        raise ContentError("This pair has been public: its changes need an admin's approval.")
    validate_content(campaign, data)
    texts = FactTexts(
        data.myth, data.fact, data.source_title, data.source_quote, data.source_id, data.reason
    )
    changed = texts != card.texts()
    card.set_texts(texts)
    if data.slug and data.slug != card.slug:
        card.slug = _unique_slug(campaign.id, data.slug, exclude_id=card.id)
        changed = True
    db.session.flush()
    return changed


def move_fact(card: FactCard, direction: int) -> bool:
    """Swap the pair with its neighbour above (-1) or below (+1); False at either end."""
    cards = list(db.session.scalars(facts_query(card.campaign_id)))
    for i, c in enumerate(cards):  # renumber 1..n so positions are distinct
        c.position = i + 1
    index = next(i for i, c in enumerate(cards) if c.id == card.id)
    other = index + direction
    if not 0 <= other < len(cards):
        db.session.flush()
        return False
    cards[index].position, cards[other].position = cards[other].position, cards[index].position
    db.session.flush()
    return True


def load_content(
    campaign: Campaign,
    now: datetime,
    *,
    approve: bool = False,
    path: Path = CONTENT_FILE,
) -> int:
    """Add the pairs of the content file that the campaign lacks (by slug); returns how many.

    The file's source is added (with its full text) if the campaign lacks it; a pair whose
    quote or reason is not in the source's text is refused (ContentError naming it), and so
    is a call to action whose sentence is not; then nothing is added. The file's call to
    action becomes the campaign's when the campaign has none.
    """
    content = read_content_file(path)
    source = source_from_file(campaign, content.source, content.source_text_path)
    if content.call_to_action is not None:
        problem = quote_problem(content.call_to_action["source_quote"], source)
        if problem:
            raise ContentError(f"{path.name}, call to action: {problem}")
        if not campaign.call_to_action:
            campaign.call_to_action = _clean_text(content.call_to_action["text"])
    existing = set(
        db.session.scalars(select(FactCard.slug).where(FactCard.campaign_id == campaign.id))
    )
    position = _next_position(campaign.id)
    added = 0
    for item in content.items:
        if item["slug"] in existing:
            continue
        problem = quote_problem(item["source_quote"], source)
        if problem:
            raise ContentError(f"{path.name}, pair “{item['slug']}”: {problem}")
        reason = _clean_text(item.get("reason", ""))
        if reason and (problem := quote_problem(reason, source)):
            raise ContentError(f"{path.name}, pair “{item['slug']}”, reason: {problem}")
        card = FactCard(
            campaign_id=campaign.id,
            position=position,
            slug=item["slug"],
            myth=_clean_text(item["myth"]),
            fact=_clean_text(item["fact"]),
            source_title=source.title,
            source_quote=item["source_quote"],
            source_id=source.id,
            reason=reason,
            is_approved=approve,
            approved_at=now if approve else None,
        )
        db.session.add(card)
        position += 1
        added += 1
    db.session.flush()
    return added


def preview_png(campaign: Campaign, data: ContentInput, preset: str) -> bytes:
    """An unsaved pair (checked by validate_content) rendered for the editor's preview
    (raises cardrender.TextDoesNotFit)."""
    source = campaign_source(campaign.id, data.source_id)
    spec = myth_fact_spec(
        campaign,
        data.myth,
        data.fact,
        data.source_title,
        source_url=source.url if source is not None else "",
        slug=data.slug or data.myth,
        reason=data.reason,
    )
    return render_png(spec, preset)
