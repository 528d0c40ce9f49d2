"""The edit page's translations section: one form per language an event may be translated
into, each posted on its own (add or change, or remove). The routes live in views.py."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, request
from flask_babel import gettext

from campaign.events import translations
from campaign.events.forms import EventTranslationForm
from campaign.events.models import Event
from campaign.extensions import db
from campaign.i18n.negotiation import native_name
from campaign.i18n.web import supported_locales


@dataclass
class TranslationSection:
    """One language's form on the edit page."""

    locale: str
    name: str  # the language in itself: "Español"
    form: EventTranslationForm
    exists: bool


def sections(event: Event, posted: EventTranslationForm | None = None) -> list[TranslationSection]:
    """Every translatable language's form, filled from the stored translation (or the
    posted form, with its errors, for the language just sent)."""
    stored = translations.translations_of(event.id)
    found: list[TranslationSection] = []
    for locale in translations.translatable_locales(supported_locales()):
        form = posted if posted is not None and posted.locale == locale else None
        if form is None:
            form = EventTranslationForm(prefix=f"tr-{locale}", formdata=None)
            if locale in stored:
                row = stored[locale]
                form.title.data, form.summary.data = row.title, row.summary
                form.description.data = row.description
        found.append(TranslationSection(locale, native_name(locale), form, locale in stored))
    return found


def save(event: Event, locale: str) -> EventTranslationForm | None:
    """Handle one language's form: add, change or (with `remove`) delete the translation.
    Returns the form when it has errors to show, None when done (flashed)."""
    if locale not in translations.translatable_locales(supported_locales()):
        abort(404)
    form = EventTranslationForm(prefix=f"tr-{locale}")
    form.locale = locale  # type: ignore[attr-defined]
    valid = form.validate_on_submit()
    if "csrf_token" in form.errors:
        abort(400)
    removing = request.form.get("remove") == "1"
    if not (removing or valid):
        return form
    try:
        if removing:
            translations.remove_translation(event, locale)
            message = gettext("Translation removed.")
        elif translations.find(event.id, locale) is None:
            translations.add_translation(
                event, locale, *_texts(form), supported=supported_locales()
            )
            message = gettext("Translation saved.")
        else:
            translations.update_translation(event, locale, *_texts(form))
            message = gettext("Translation saved.")
    except translations.TranslationError as exc:
        db.session.rollback()
        form.title.errors = [*form.title.errors, str(exc)]
        return form
    db.session.commit()
    flash(message, "success")
    return None


def _texts(form: EventTranslationForm) -> tuple[str, str, str]:
    return (form.title.data or "", form.summary.data or "", form.description.data or "")
