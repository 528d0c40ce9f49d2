"""The words a card draws that are not content, in the language being rendered.

campaign.cardrender stays free of Flask and Babel: it draws English unless a spec carries
`labels`. This module translates them with the catalog and hands them over as plain
values. In the source language the overrides are empty, so an English card's spec (and
its key, its cache entry and its bytes) is exactly what it was before cards had
languages; a Spanish card's labels make its spec, and so its key, different.
"""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date, format_datetime
from flask import has_app_context
from flask_babel import gettext, ngettext

from campaign.cardrender import LABEL_DEFAULTS, Labels
from campaign.core.timeutil import format_local, to_local, zone_abbreviation

SOURCE_LOCALE = "en"  # the language cardrender's own words are written in


def rendering_locale() -> str:
    """The locale cards are being built in (the request's or in_locale()'s)."""
    if not has_app_context():
        return SOURCE_LOCALE
    from campaign.i18n.web import current_locale

    return current_locale()


def _translated(days: int) -> dict[str, str]:
    return {
        "fact": gettext("Fact"),
        "myth": gettext("Myth"),
        "source": gettext("Source:"),
        "scan": gettext("Scan for details"),
        "details_at": gettext("Details at"),
        "attending_self": gettext("I’m attending"),
        "attending_other": gettext("%(name)s is attending", name="{name}"),
        "days_to": ngettext("day to", "days to", max(days, 2)),
        "day_to": ngettext("day to", "days to", 1),
        "today": gettext("Today"),
        # The countdown on the day reads "<Today> <is> <campaign name>".
        "today_is": gettext("is"),
        "qr_code": gettext("QR code:"),
    }


def card_labels(days: int = 2) -> Labels:
    """The card words that differ from English in the current locale (none in English).
    `days`: the countdown's number, for languages whose plural needs it."""
    if rendering_locale() == SOURCE_LOCALE:
        return ()
    words = _translated(days)
    return tuple(sorted((key, text) for key, text in words.items() if text != LABEL_DEFAULTS[key]))


def when_text(instant: datetime, zone: str) -> str:
    """A start as a card writes it, in the current locale: weekday, day, month, year and
    the time with the zone's abbreviation (in English exactly as format_local writes it)."""
    locale = rendering_locale()
    if locale == SOURCE_LOCALE:
        return format_local(instant, zone)
    local = to_local(instant, zone)
    text = format_datetime(local, "EEE d MMM y, HH:mm", locale=locale)
    return f"{text} {zone_abbreviation(local)}"


def day_text(day: date) -> str:
    """The campaign day as the countdown card writes it, in the current locale."""
    locale = rendering_locale()
    if locale == SOURCE_LOCALE:
        return f"{day:%A} {day.day} {day:%B %Y}"
    return format_date(day, "full", locale=locale)
