"""An event's words as a reader in a given language sees them: the one place mail and
calendar files ask for an event's title and summary.

Today every event has one title and summary (the stored fields), shown in every
language. When events carry translations, these functions return the locale's version,
falling back to the stored fields, and every mail and calendar file follows.
"""

from __future__ import annotations

from campaign.events.models import Event


def event_title(event: Event, locale: str) -> str:
    """The title to show a reader of `locale`: the stored one (no translations yet)."""
    return event.title


def event_summary(event: Event, locale: str) -> str:
    """The summary to show a reader of `locale`: the stored one (no translations yet)."""
    return event.summary
