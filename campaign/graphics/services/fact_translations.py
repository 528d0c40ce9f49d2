"""Myth/fact pairs in other languages: translations, their approval, and what is public.

Health content follows the pair's own rules: a translation is public only once an admin
approved it (and only while its pair is public); any organizer may write or change a
translation that is not public yet; a change to an approved translation waits as a
proposal until an admin approves it, except an admin's own change, which is approved at
once. The source quote is never translated: it stays the source's words, in its language.

Services take plain values and leave the commit to the caller.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import g, has_request_context
from flask_babel import gettext
from sqlalchemy import select

from campaign.core.text import has_control_characters
from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.graphics.models import FACT_MAX, MYTH_MAX, FactCard, FactTranslation
from campaign.organizers.models import Organizer

SOURCE_LOCALE = "en"  # the language pairs are written in (the article's)


class TranslationError(ValueError):
    """A translation that cannot be saved or decided; the message says why."""


@dataclass(frozen=True)
class FactText:
    """What a page and a card say for a pair in one locale, and in which language."""

    myth: str
    fact: str
    reason: str
    lang: str  # the language of myth, fact and reason
    locale: str  # the locale asked for

    @property
    def is_fallback(self) -> bool:
        """The pair is shown in its source language: no approved translation."""
        return self.lang != self.locale


def translatable_locales(supported: Iterable[str]) -> list[str]:
    return [code for code in supported if code != SOURCE_LOCALE]


def find(card_id: int, locale: str) -> FactTranslation | None:
    return db.session.scalar(
        select(FactTranslation).where(
            FactTranslation.fact_card_id == card_id, FactTranslation.locale == locale
        )
    )


def translations_of(card_id: int) -> dict[str, FactTranslation]:
    rows = db.session.scalars(
        select(FactTranslation).where(FactTranslation.fact_card_id == card_id)
    )
    return {row.locale: row for row in rows}


def _approved_in(campaign_id: int, locale: str) -> dict[int, FactTranslation]:
    """pair id -> its approved translation in locale (once per request: pages ask per card)."""
    cache_key = (campaign_id, locale)
    cache: dict[tuple[int, str], dict[int, FactTranslation]] | None = (
        g.setdefault("fact_translations", {}) if has_request_context() else None
    )
    if cache is not None and cache_key in cache:
        return cache[cache_key]
    rows = db.session.scalars(
        select(FactTranslation)
        .join(FactCard, FactCard.id == FactTranslation.fact_card_id)
        .where(
            FactCard.campaign_id == campaign_id,
            FactTranslation.locale == locale,
            FactTranslation.is_approved.is_(True),
        )
    )
    found = {row.fact_card_id: row for row in rows}
    if cache is not None:
        cache[cache_key] = found
    return found


def forget_cached() -> None:
    """Drop this request's copy after a change (the editor shows the new state)."""
    if has_request_context():
        g.pop("fact_translations", None)


def fact_text(card: FactCard, locale: str) -> FactText:
    """The pair in locale: its approved translation, else the pair as written (fallback)."""
    if locale != SOURCE_LOCALE:
        row = _approved_in(card.campaign_id, locale).get(card.id)
        if row is not None:
            return FactText(row.myth, row.fact, row.reason, locale, locale)
    return FactText(card.myth, card.fact, card.reason, SOURCE_LOCALE, locale)


def _clean(myth: str, fact: str, reason: str) -> tuple[str, str, str]:
    myth, fact, reason = (
        " ".join(unicodedata.normalize("NFC", v).split()) for v in (myth, fact, reason)
    )
    if any(has_control_characters(v) for v in (myth, fact, reason)):
        raise TranslationError(gettext("Remove the invisible control characters from the text."))
    if not myth or not fact:
        raise TranslationError(gettext("A translation needs the myth and the fact."))
    if len(myth) > MYTH_MAX or len(fact) > FACT_MAX:
        raise TranslationError(
            gettext(
                "The myth may have %(myth)s characters and the fact %(fact)s.",
                myth=MYTH_MAX,
                fact=FACT_MAX,
            )
        )
    return myth, fact, reason


def save_translation(
    card: FactCard,
    locale: str,
    texts: tuple[str, str, str],
    organizer: Organizer | None,
    is_admin: bool,
    supported: Iterable[str],
) -> FactTranslation:
    """Add or change the pair's translation into locale (texts: myth, fact, reason).

    A new translation, or one not yet approved, takes the texts as they are (and stays
    unapproved). An approved one keeps its public text: the change waits for an admin,
    unless an admin makes it."""
    if locale not in translatable_locales(supported):
        raise TranslationError(
            gettext("Pairs cannot be translated into “%(locale)s”.", locale=locale)
        )
    myth, fact, reason = _clean(*texts)
    row = find(card.id, locale)
    if row is None:
        row = FactTranslation(
            fact_card_id=card.id, locale=locale, source_locale=SOURCE_LOCALE, is_approved=False
        )
        db.session.add(row)
    if not row.is_approved or is_admin:
        row.myth, row.fact, row.reason = myth, fact, reason
        row.pending_myth = row.pending_fact = row.pending_reason = None
        row.proposed_by_id = None
        if row.is_approved:
            row.approved_by_id = organizer.id if organizer else None
            row.approved_at = utcnow()
    else:
        row.pending_myth, row.pending_fact, row.pending_reason = myth, fact, reason
        row.proposed_by_id = organizer.id if organizer else None
    card.updated_at = utcnow()
    forget_cached()
    return row


def approve_translation(row: FactTranslation, admin: Organizer | None, now: datetime) -> None:
    """An admin approves: a waiting change replaces the public text; otherwise the
    translation becomes public."""
    if row.has_pending:
        row.myth, row.fact = row.pending_myth or "", row.pending_fact or ""
        row.reason = row.pending_reason or ""
        row.pending_myth = row.pending_fact = row.pending_reason = None
        row.proposed_by_id = None
    elif row.is_approved:
        raise TranslationError(gettext("This translation is already approved."))
    row.is_approved = True
    row.approved_at = now
    row.approved_by_id = admin.id if admin else None
    row.card.updated_at = now
    forget_cached()


def discard_change(row: FactTranslation) -> None:
    """An admin turns down the change waiting on an approved translation."""
    if not row.has_pending:
        raise TranslationError(gettext("No change is waiting on this translation."))
    row.pending_myth = row.pending_fact = row.pending_reason = None
    row.proposed_by_id = None


def withdraw_translation(row: FactTranslation) -> None:
    """An admin takes an approved translation off the site (the pair shows in English)."""
    if not row.is_approved:
        raise TranslationError(gettext("This translation is not public."))
    row.is_approved = False
    row.card.updated_at = utcnow()
    forget_cached()


def delete_translation(row: FactTranslation, is_admin: bool) -> None:
    """Delete a translation: a public one only by an admin."""
    if row.is_approved and not is_admin:
        raise TranslationError(gettext("Only an admin can delete a public translation."))
    row.card.updated_at = utcnow()
    db.session.delete(row)
    forget_cached()


def load_translations(campaign_id: int, path: Path, now: datetime, *, approve: bool) -> int:
    """Add the translations of a file like assets/content/myths.es.json to the campaign's
    pairs of the same slugs that lack one (approved when `approve`); returns how many.
    A translation of a pair the campaign does not have, or not in the file's source
    language, is refused (TranslationError naming it) and nothing is added."""
    data = json.loads(path.read_text("utf-8"))
    locale, source_locale = str(data["locale"]), str(data["source_locale"])
    if source_locale != SOURCE_LOCALE or locale == SOURCE_LOCALE:
        raise TranslationError(f"{path.name}: translates {source_locale} into {locale}")
    cards = {
        card.slug: card
        for card in db.session.scalars(select(FactCard).where(FactCard.campaign_id == campaign_id))
    }
    rows: list[FactTranslation] = []
    for item in data["items"]:
        card = cards.get(item["slug"])
        if card is None:
            raise TranslationError(f"{path.name}: no pair “{item['slug']}” to translate")
        if find(card.id, locale) is not None:
            continue
        myth, fact, reason = _clean(item["myth"], item["fact"], item.get("reason", ""))
        if reason and not card.reason:
            raise TranslationError(f"{path.name}, “{card.slug}”: a reason the pair lacks")
        rows.append(
            FactTranslation(
                fact_card_id=card.id,
                locale=locale,
                source_locale=source_locale,
                myth=myth,
                fact=fact,
                reason=reason,
                is_approved=approve,
                approved_at=now if approve else None,
            )
        )
    db.session.add_all(rows)
    db.session.flush()
    forget_cached()
    return len(rows)
