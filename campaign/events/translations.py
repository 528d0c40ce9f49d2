"""An event's title, summary and description in the visitor's language.

Events are written in the campaign's default language; an organizer may add a translation
per supported locale (EventTranslation). localized() is the one place that picks which
text to show: the public page, the listing, the API and mail all go through it. A field
the translation leaves blank (or a locale with no translation) shows the default-language
text, and says which language it is in so pages can mark it (`lang`) and add a note.

Services take plain values and leave the commit to the caller.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy import select

from campaign.core.text import has_control_characters
from campaign.core.timeutil import utcnow
from campaign.events.models import (
    DESCRIPTION_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    Event,
    EventTranslation,
)
from campaign.extensions import db


class TranslationError(ValueError):
    """A translation that cannot be saved or removed; the message says why."""


@dataclass(frozen=True)
class Localized:
    """The text to show for an event in one locale, and the language of each part."""

    title: str
    summary: str
    description: str
    title_lang: str
    summary_lang: str
    description_lang: str
    locale: str  # the locale asked for

    @property
    def is_fallback(self) -> bool:
        """Some shown text is in another language than the one asked for."""
        shown = [self.title_lang]
        if self.summary:
            shown.append(self.summary_lang)
        if self.description:
            shown.append(self.description_lang)
        return any(lang != self.locale for lang in shown)

    @property
    def source_lang(self) -> str:
        """The language the fallback text is in (the first part not in the locale)."""
        for lang in (self.title_lang, self.summary_lang, self.description_lang):
            if lang != self.locale:
                return lang
        return self.locale

    def __iter__(self):  # type: ignore[no-untyped-def]
        """(title, summary, description, is_fallback), for callers that unpack."""
        return iter((self.title, self.summary, self.description, self.is_fallback))


def source_locale() -> str:
    """The language events are written in: the campaign's default locale."""
    from campaign.i18n.web import default_locale

    return default_locale()


def _pick(event: Event, translation: EventTranslation | None, locale: str) -> Localized:
    source = source_locale()
    if translation is None:
        return Localized(
            event.title, event.summary, event.description, source, source, source, locale
        )

    def part(translated: str, original: str) -> tuple[str, str]:
        return (translated, locale) if translated else (original, source)

    summary, summary_lang = part(translation.summary, event.summary)
    description, description_lang = part(translation.description, event.description)
    return Localized(
        translation.title, summary, description, locale, summary_lang, description_lang, locale
    )


def localized(event: Event, locale: str) -> Localized:
    """The event's text in `locale`: its translation where it has one, otherwise the
    default-language text (is_fallback then says so). One query, none for the default."""
    if locale == source_locale():
        return _pick(event, None, locale)
    return _pick(event, find(event.id, locale), locale)


def localized_many(events: Iterable[Event], locale: str) -> dict[int, Localized]:
    """localized() for several events (a listing), with one query for all of them."""
    events = list(events)
    if locale == source_locale() or not events:
        return {event.id: _pick(event, None, locale) for event in events}
    rows = db.session.scalars(
        select(EventTranslation).where(
            EventTranslation.event_id.in_([event.id for event in events]),
            EventTranslation.locale == locale,
        )
    )
    found = {row.event_id: row for row in rows}
    return {event.id: _pick(event, found.get(event.id), locale) for event in events}


def find(event_id: int, locale: str) -> EventTranslation | None:
    return db.session.scalar(
        select(EventTranslation).where(
            EventTranslation.event_id == event_id, EventTranslation.locale == locale
        )
    )


def translations_of(event_id: int) -> dict[str, EventTranslation]:
    """An event's translations by locale."""
    rows = db.session.scalars(select(EventTranslation).where(EventTranslation.event_id == event_id))
    return {row.locale: row for row in rows}


def translatable_locales(supported: Iterable[str]) -> list[str]:
    """The locales an event may be translated into: every supported one but the source."""
    source = source_locale()
    return [code for code in supported if code != source]


def _check_locale(locale: str, supported: Iterable[str]) -> None:
    if locale not in translatable_locales(supported):
        raise TranslationError(
            gettext("Events cannot be translated into “%(locale)s”.", locale=locale)
        )


def _touch(event: Event) -> None:
    """The event's pages change with its translations: its updated_at keys their caches."""
    event.updated_at = utcnow()


def add_translation(
    event: Event,
    locale: str,
    title: str,
    summary: str,
    description: str,
    supported: Iterable[str],
) -> EventTranslation:
    """A new translation of event into locale; refused for an unknown locale, the source
    language, a locale already translated, a blank title or text over the limits."""
    _check_locale(locale, supported)
    if find(event.id, locale) is not None:
        raise TranslationError(gettext("This event already has a translation in that language."))
    translation = EventTranslation(event_id=event.id, locale=locale, title="")
    _fill(translation, title, summary, description)
    db.session.add(translation)
    _touch(event)
    return translation


def update_translation(
    event: Event, locale: str, title: str, summary: str, description: str
) -> EventTranslation:
    """Change the translation of event in locale (which must exist)."""
    translation = find(event.id, locale)
    if translation is None:
        raise TranslationError(gettext("This event has no translation in that language."))
    _fill(translation, title, summary, description)
    _touch(event)
    return translation


def remove_translation(event: Event, locale: str) -> None:
    """Delete the translation of event in locale (which must exist)."""
    translation = find(event.id, locale)
    if translation is None:
        raise TranslationError(gettext("This event has no translation in that language."))
    db.session.delete(translation)
    _touch(event)


def _fill(translation: EventTranslation, title: str, summary: str, description: str) -> None:
    title, summary, description = (
        unicodedata.normalize("NFC", v).strip() for v in (title, summary, description)
    )
    if has_control_characters(title) or any(
        has_control_characters(v, allow_newlines=True) for v in (summary, description)
    ):
        raise TranslationError(gettext("Remove the invisible control characters from the text."))
    if not title:
        raise TranslationError(gettext("A translation needs a title."))
    for value, limit, name in (
        (title, TITLE_MAX, gettext("title")),
        (summary, SUMMARY_MAX, gettext("summary")),
        (description, DESCRIPTION_MAX, gettext("description")),
    ):
        if len(value) > limit:
            raise TranslationError(
                gettext(
                    "The translated %(part)s is longer than %(limit)s characters.",
                    part=name,
                    limit=limit,
                )
            )
    translation.title, translation.summary, translation.description = title, summary, description


def language_name(code: str, locale: str) -> str:
    """The name of the language `code` written in `locale` ("inglés" for en in es)."""
    from babel import Locale, UnknownLocaleError

    try:
        return str(Locale.parse(locale).languages.get(code, code))
    except (UnknownLocaleError, ValueError):
        return code
