"""The myth/fact pairs: the default content file, the editor's checks, approval and order.

Plain arguments in, no request object. A service adds and flushes; the caller commits.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from campaign.campaigns.models import Campaign
from campaign.core.text import has_control_characters
from campaign.extensions import db
from campaign.graphics import render
from campaign.graphics.cardspecs import myth_fact_spec
from campaign.graphics.models import (
    FACT_MAX,
    MYTH_MAX,
    QUOTE_MAX,
    SLUG_MAX,
    SOURCE_TITLE_MAX,
    FactCard,
)
from campaign.graphics.registry import render_png
from campaign.organizers.models import Organizer

CONTENT_FILE = Path(__file__).resolve().parents[2] / "assets" / "content" / "myths.json"


@dataclass
class ContentInput:
    """What an organizer types for one pair."""

    myth: str
    fact: str
    source_quote: str
    source_title: str
    slug: str = ""


class ContentInvalid(ValueError):
    """Problems with a pair, per field ("myth", "fact", "source_title", "form", ...)."""

    def __init__(self, errors: dict[str, str], cut: dict[str, int] | None = None) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors
        self.cut = cut or {}


class ContentError(ValueError):
    """An action on content that is not allowed (message for the organizer)."""


@dataclass(frozen=True)
class ContentFile:
    source_title: str
    items: tuple[dict[str, str], ...]


def read_content_file(path: Path = CONTENT_FILE) -> ContentFile:
    """The default myth/fact set (assets/content/myths.json)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return ContentFile(data["source"]["title"], tuple(data["items"]))


def default_source_title() -> str:
    """The source article's title, for new pairs."""
    try:
        return read_content_file().source_title
    except (OSError, KeyError, ValueError):
        return ""


def _clean_text(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value or "").split())


def slugify(text: str) -> str:
    """A URL and file-name friendly slug from text."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = "-".join(words)[:SLUG_MAX].strip("-")
    return slug or "fact"


def _unique_slug(campaign_id: int, wanted: str, exclude_id: int | None = None) -> str:
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


def plural(n: int, word: str) -> str:
    """'1 character', '3 characters'."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def fit_problems(campaign: Campaign, myth: str, fact: str, source_title: str) -> dict[str, int]:
    """field -> characters to cut for the pair to fit every preset and the alt-text budget."""
    return render.check_myth_fact_fits(
        myth,
        fact,
        source_title,
        campaign.disclaimer,
        campaign_name=campaign.name,
        hashtag=campaign.hashtag,
    )


def fit_messages(cut: dict[str, int]) -> dict[str, str]:
    """Editor messages (per form field) for check_myth_fact_fits' answer."""
    messages: dict[str, str] = {}
    for name, n in cut.items():
        n = max(int(n), 1)
        if name in ("myth", "fact", "source_title"):
            messages[name] = f"Too long to fit on every card size: cut {plural(n, 'character')}."
        elif name == "alt_text":
            messages["fact"] = (
                "Together the texts make the alt text longer than 420 characters: cut "
                f"{plural(n, 'character')} from the myth or the fact."
            )
        elif name == "disclaimer":
            messages["form"] = (
                f"The campaign disclaimer is too long for the cards: cut {plural(n, 'character')} "
                "from it in the campaign settings."
            )
        else:
            messages["form"] = f"The card does not fit: cut {plural(n, 'character')}."
    return messages


def validate_content(campaign: Campaign, data: ContentInput, *, preview: bool = False) -> None:
    """Normalise data in place; raise ContentInvalid listing every problem.

    For a preview only what the card shows is checked (the source sentence may still be
    missing while the organizer is typing).
    """
    data.myth = _clean_text(data.myth)
    data.fact = _clean_text(data.fact)
    data.source_title = _clean_text(data.source_title)
    data.source_quote = " ".join((data.source_quote or "").split())
    data.slug = slugify(data.slug) if data.slug.strip() else ""
    errors: dict[str, str] = {}
    limits = {
        "myth": MYTH_MAX,
        "fact": FACT_MAX,
        "source_title": SOURCE_TITLE_MAX,
        "source_quote": QUOTE_MAX,
    }
    for name, limit in limits.items():
        value = getattr(data, name)
        if len(value) > limit:
            errors[name] = f"Use at most {limit} characters."
        elif has_control_characters(value):
            errors[name] = "Remove the invisible control characters."
    if not data.myth:
        errors["myth"] = "Write the myth as people say it."
    if not data.fact:
        errors["fact"] = "Write the fact that answers the myth."
    if not data.source_title:
        errors["source_title"] = "Name the source: every card shows it."
    if not data.source_quote and not preview:
        errors["source_quote"] = "Paste the sentence of the source the fact rests on."
    cut: dict[str, int] = {}
    if not errors:
        cut = fit_problems(campaign, data.myth, data.fact, data.source_title)
        for name, message in fit_messages(cut).items():
            errors.setdefault(name, message)
    if errors:
        raise ContentInvalid(errors, cut)


def facts_query(campaign_id: int, approved_only: bool = False) -> Any:
    """The campaign's pairs in their display order."""
    query = select(FactCard).where(FactCard.campaign_id == campaign_id)
    if approved_only:
        query = query.where(FactCard.is_approved.is_(True))
    return query.order_by(FactCard.position, FactCard.id)


def approved_facts(campaign_id: int, limit: int | None = None) -> list[FactCard]:
    """Public pairs, in order."""
    query = facts_query(campaign_id, approved_only=True)
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def public_fact(campaign_id: int, slug: str) -> FactCard | None:
    """An approved pair by slug."""
    if len(slug) > SLUG_MAX:
        return None
    return db.session.scalar(
        select(FactCard).where(
            FactCard.campaign_id == campaign_id,
            FactCard.slug == slug,
            FactCard.is_approved.is_(True),
        )
    )


def _next_position(campaign_id: int) -> int:
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
        is_approved=False,
    )
    db.session.add(card)
    db.session.flush()
    return card


def update_fact(campaign: Campaign, card: FactCard, data: ContentInput) -> bool:
    """Save changes; a change to what the card says withdraws approval. True if it did."""
    validate_content(campaign, data)
    changed = (card.myth, card.fact, card.source_title, card.source_quote) != (
        data.myth,
        data.fact,
        data.source_title,
        data.source_quote,
    )
    card.myth, card.fact = data.myth, data.fact
    card.source_title, card.source_quote = data.source_title, data.source_quote
    if data.slug and data.slug != card.slug:
        card.slug = _unique_slug(campaign.id, data.slug, exclude_id=card.id)
    withdrawn = changed and card.is_approved
    if withdrawn:
        card.withdraw_approval()
    db.session.flush()
    return withdrawn


def approve_fact(campaign: Campaign, card: FactCard, organizer: Organizer, now: datetime) -> None:
    """Make a pair public (admins only; checked again that it still fits every card)."""
    if not organizer.is_admin:
        raise ContentError("Only an admin can approve content.")
    cut = fit_problems(campaign, card.myth, card.fact, card.source_title)
    if cut:
        raise ContentError(
            "This pair no longer fits the cards (the campaign name, hashtag or disclaimer "
            "changed). Edit it first: " + " ".join(fit_messages(cut).values())
        )
    card.approve(organizer, now)
    db.session.flush()


def unapprove_fact(card: FactCard, organizer: Organizer) -> None:
    """Take a pair off the public site (admins only)."""
    if not organizer.is_admin:
        raise ContentError("Only an admin can withdraw approval.")
    card.withdraw_approval()
    db.session.flush()


def delete_fact(card: FactCard, organizer: Organizer) -> None:
    """Delete a pair; an approved (public) pair only by an admin."""
    if card.is_approved and not organizer.is_admin:
        raise ContentError("This pair is public: ask an admin to withdraw it first.")
    db.session.delete(card)
    db.session.flush()


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
    """Add the pairs of the content file that the campaign lacks (by slug); returns how many."""
    content = read_content_file(path)
    existing = set(
        db.session.scalars(select(FactCard.slug).where(FactCard.campaign_id == campaign.id))
    )
    position = _next_position(campaign.id)
    added = 0
    for item in content.items:
        if item["slug"] in existing:
            continue
        card = FactCard(
            campaign_id=campaign.id,
            position=position,
            slug=item["slug"],
            myth=_clean_text(item["myth"]),
            fact=_clean_text(item["fact"]),
            source_title=content.source_title,
            source_quote=item["source_quote"],
            is_approved=approve,
            approved_at=now if approve else None,
        )
        db.session.add(card)
        position += 1
        added += 1
    db.session.flush()
    return added


def preview_png(campaign: Campaign, myth: str, fact: str, source_title: str, preset: str) -> bytes:
    """An unsaved pair rendered for the editor's preview (raises render.TextDoesNotFit)."""
    spec = myth_fact_spec(campaign, _clean_text(myth), _clean_text(fact), _clean_text(source_title))
    return render_png(spec, preset)
