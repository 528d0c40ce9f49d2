"""Sources: the texts the campaign's facts come from, and the check that a pair's quote
really occurs in its source (whitespace, quotes and dashes normalised).

Plain arguments in, no request object. A service adds and flushes; the caller commits.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select

from campaign.campaigns.models import Campaign
from campaign.core.forms import FieldErrors
from campaign.core.text import has_control_characters, normalise_line_breaks
from campaign.extensions import db
from campaign.graphics.models import (
    SOURCE_AUTHOR_MAX,
    SOURCE_TEXT_MAX,
    SOURCE_TITLE_MAX,
    SOURCE_URL_MAX,
    FactCard,
    FactRevision,
    Source,
)
from campaign.organizers.models import Organizer

# Typographic variants a pasted quote may differ by from its source, mapped to one form.
_QUOTES = dict.fromkeys(map(ord, "‘’‚‛′`´"), "'") | dict.fromkeys(map(ord, "“”„‟″«»"), '"')
_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−"), "-")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
NEAREST_MAX = 240  # characters of the nearest sentence quoted in a message


class SourceInvalid(FieldErrors):
    """Problems with a source, per field ("title", "text", "url", ...)."""


class SourceError(ValueError):
    """An action on a source that is not allowed (message for the organizer)."""


@dataclass
class SourceInput:
    """What an organizer types for a source."""

    title: str
    text: str
    author: str = ""
    published_on: date | None = None
    url: str = ""


def normalise_for_match(text: str) -> str:
    """Text as quotes are compared: NFC, one kind of quote and dash, single spaces."""
    value = unicodedata.normalize("NFC", text or "").translate(_QUOTES).translate(_DASHES)
    return " ".join(value.split())


def quote_in_text(quote: str, text: str) -> bool:
    """Whether quote occurs in text (whitespace, quotes and dashes normalised)."""
    wanted = normalise_for_match(quote)
    return bool(wanted) and wanted in normalise_for_match(text)


def sentences(text: str) -> list[str]:
    """The text's sentences, each on one line (paragraph breaks end a sentence too)."""
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n", normalise_line_breaks(text)):
        for part in _SENTENCE_END.split(" ".join(paragraph.split())):
            if part.strip():
                out.append(part.strip())
    return out


def source_paragraphs(text: str) -> list[str]:
    """The text's paragraphs (blank lines between them), each on one line, for its page."""
    parts = re.split(r"\n\s*\n", normalise_line_breaks(text))
    return [" ".join(p.split()) for p in parts if p.strip()]


def nearest_sentence(quote: str, text: str) -> str:
    """The sentence of text most like quote ("" when the text has none)."""
    wanted = normalise_for_match(quote).casefold()
    best, best_ratio = "", -1.0
    for sentence in sentences(text):
        matcher = difflib.SequenceMatcher(None, wanted, normalise_for_match(sentence).casefold())
        ratio = matcher.ratio()
        if ratio > best_ratio:
            best, best_ratio = sentence, ratio
    return best


def quote_problem(quote: str, source: Source) -> str | None:
    """Why quote cannot rest on source (naming its nearest sentence), or None when it occurs."""
    if quote_in_text(quote, source.text):
        return None
    nearest = nearest_sentence(quote, source.text)
    message = f"This sentence is not in “{source.title}”, word for word."
    if nearest:
        if len(nearest) > NEAREST_MAX:
            nearest = nearest[: NEAREST_MAX - 1].rstrip() + "…"
        message += f" The nearest sentence there is: “{nearest}”"
    return message


# --- Reading sources ----------------------------------------------------------------------------


def campaign_sources(campaign_id: int) -> list[Source]:
    """The campaign's sources, oldest first (the first is the default for new pairs)."""
    query = select(Source).where(Source.campaign_id == campaign_id).order_by(Source.id)
    return list(db.session.scalars(query))


def campaign_source(campaign_id: int, source_id: int | None) -> Source | None:
    """The campaign's source by id (None for another campaign's or none)."""
    if source_id is None:
        return None
    source = db.session.get(Source, source_id)
    return source if source is not None and source.campaign_id == campaign_id else None


def default_source(campaign_id: int) -> Source | None:
    """The source new pairs cite unless another is chosen: the campaign's first."""
    return db.session.scalar(
        select(Source).where(Source.campaign_id == campaign_id).order_by(Source.id).limit(1)
    )


def citing_pairs(source: Source) -> list[FactCard]:
    """The pairs (not deleted) that cite the source."""
    query = select(FactCard).where(FactCard.source_id == source.id, FactCard.deleted_at.is_(None))
    return list(db.session.scalars(query.order_by(FactCard.position, FactCard.id)))


def _pending_citing(source: Source) -> list[FactRevision]:
    """Pending edits that cite the source."""
    query = select(FactRevision).where(
        FactRevision.source_id == source.id, FactRevision.status == "pending"
    )
    return list(db.session.scalars(query))


# --- Saving sources -----------------------------------------------------------------------------


def validate_source(data: SourceInput) -> None:
    """Normalise data in place; raise SourceInvalid listing every problem."""
    data.title = " ".join(unicodedata.normalize("NFC", data.title or "").split())
    data.author = " ".join(unicodedata.normalize("NFC", data.author or "").split())
    data.url = (data.url or "").strip()
    data.text = unicodedata.normalize("NFC", normalise_line_breaks(data.text)).strip()
    errors: dict[str, str] = {}
    limits = {
        "title": SOURCE_TITLE_MAX,
        "author": SOURCE_AUTHOR_MAX,
        "url": SOURCE_URL_MAX,
        "text": SOURCE_TEXT_MAX,
    }
    for name, limit in limits.items():
        value = getattr(data, name)
        if len(value) > limit:
            errors[name] = f"Use at most {limit} characters (now {len(value)})."
        elif has_control_characters(value, allow_newlines=name == "text"):
            errors[name] = "Remove the invisible control characters."
    if not data.title:
        errors["title"] = "Give the source its title, as it is published."
    if not data.text:
        errors["text"] = "Paste the source's full text: every quote is checked against it."
    if data.url and "url" not in errors:
        parts = urlsplit(data.url)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in data.url:
            errors["url"] = "Enter a full web address starting with https:// or http://."
    if errors:
        raise SourceInvalid(errors)


def create_source(campaign: Campaign, data: SourceInput) -> Source:
    """Add a source to the campaign (checked by validate_source)."""
    validate_source(data)
    source = Source(
        campaign_id=campaign.id,
        title=data.title,
        author=data.author,
        published_on=data.published_on,
        url=data.url,
        text=data.text,
    )
    db.session.add(source)
    db.session.flush()
    return source


def update_source(
    campaign: Campaign, source: Source, data: SourceInput, organizer: Organizer
) -> bool:
    """Change a source; True if anything changed.

    Every pair and pending edit citing it must still find its quote in the new text, and
    every pair must still fit its cards with the new title and address. A source that a
    public (or once public) pair cites changes only by an admin, like the pair's text;
    its pairs' copies of the title follow.
    """
    from campaign.graphics.services.cardfit import fit_messages, fit_problems

    validate_source(data)
    old = (source.title, source.author, source.published_on, source.url, source.text)
    new = (data.title, data.author, data.published_on, data.url, data.text)
    if old == new:
        return False
    pairs = citing_pairs(source)
    if any(p.was_published for p in pairs) and not organizer.is_admin:
        raise SourceError(
            "Public cards cite this source: only an admin can change it, as with the "
            "cards' own text."
        )
    errors: dict[str, str] = {}
    quotes = [(p.slug, p.source_quote) for p in pairs]
    quotes += [(r.card.slug, r.source_quote) for r in _pending_citing(source)]
    for slug, quote in quotes:
        if not quote_in_text(quote, data.text):
            errors["text"] = (
                f"The pair “{slug}” quotes a sentence this text no longer has: "
                f"“{quote[:NEAREST_MAX]}”. Keep that sentence, or change the pair first."
            )
            break
    for pair in pairs:
        cut = fit_problems(campaign, pair.myth, pair.fact, data.title, data.url, pair.slug)
        if cut:
            message = " ".join(fit_messages(cut).values())
            errors.setdefault("title", f"The pair “{pair.slug}” would no longer fit: {message}")
            break
    if errors:
        raise SourceInvalid(errors)
    source.title, source.author, source.url = data.title, data.author, data.url
    source.published_on, source.text = data.published_on, data.text
    for pair in pairs:
        pair.source_title = data.title
    for revision in _pending_citing(source):
        revision.source_title = data.title
    db.session.flush()
    return True


def source_from_file(campaign: Campaign, record: dict[str, str], text_path: Path) -> Source:
    """The campaign's source named by a content file's source record (by title), added
    with the text of text_path if the campaign does not have it yet."""
    title = " ".join(record["title"].split())
    existing = db.session.scalar(
        select(Source).where(Source.campaign_id == campaign.id, Source.title == title)
    )
    if existing is not None:
        return existing
    published = record.get("date")
    return create_source(
        campaign,
        SourceInput(
            title=title,
            text=text_path.read_text(encoding="utf-8"),
            author=record.get("author", "") or record.get("publisher", ""),
            published_on=date.fromisoformat(published) if published else None,
            url=record.get("url", ""),
        ),
    )
