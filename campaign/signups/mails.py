"""Mail about registrations: queued cheaply in the request, rendered by the deliverer.

queue_* functions add outbox rows (same transaction as the change). The render_*
functions, registered per kind, build the content from the current registration and
event when the deliverer first picks the row up.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from flask import current_app
from flask_babel import gettext
from werkzeug.routing import BuildError

from campaign.core.tokens import hash_token
from campaign.core.urls import absolute_url
from campaign.events import calendar
from campaign.events.display import event_summary, event_title
from campaign.events.models import Event
from campaign.extensions import db
from campaign.i18n.dates import format_event_range
from campaign.i18n.display import place_line
from campaign.i18n.web import current_locale, in_locale
from campaign.mail import models as kinds
from campaign.mail import services as mail
from campaign.mail.models import OutboxMessage
from campaign.signups.models import STATUS_WAITLISTED, Registration
from campaign.signups.tokens import check_in_code, manage_token, matching_manage_token

# --- queueing (in the request's transaction) --------------------------------------------


def _queue(kind: str, registration: Registration, now: datetime, dedupe: str | None,
           **params: Any) -> None:  # fmt: skip
    mail.enqueue(
        kind,
        registration.email,
        now,
        event_id=registration.event_id,
        registration_id=registration.id,
        params=params,
        dedupe_key=dedupe,
    )


def queue_status_mail(registration: Registration, now: datetime, resend: bool = False) -> None:
    """'You're in' or 'You're on the waitlist' (again, when they register twice)."""
    suffix = f":resend:{int(now.timestamp())}" if resend else ""
    if registration.is_confirmed:
        _queue(kinds.KIND_CONFIRMED, registration, now,
               f"reg:{registration.id}:confirmed{suffix}", resend=resend)  # fmt: skip
    else:
        _queue(kinds.KIND_WAITLISTED, registration, now,
               f"reg:{registration.id}:waitlisted{suffix}", resend=resend,
               position=waitlist_position(registration))  # fmt: skip


def queue_new_registration(
    registration_id: int, email: str, event_id: int, status: str, now: datetime, position: int
) -> None:
    """The first status mail of a new registration, from plain values (the hot path)."""
    if status == STATUS_WAITLISTED:
        kind, params = kinds.KIND_WAITLISTED, {"resend": False, "position": position}
    else:
        kind, params = kinds.KIND_CONFIRMED, {"resend": False}
    mail.enqueue(
        kind,
        email,
        now,
        event_id=event_id,
        registration_id=registration_id,
        params=params,
        dedupe_key=f"reg:{registration_id}:{status}",
    )


def queue_promoted_mail(registration: Registration, now: datetime) -> None:
    # A waitlist notice still queued is stale now (and would render with the join link).
    mail.withdraw_queued(
        "withdrawn: promoted",
        OutboxMessage.registration_id == registration.id,
        OutboxMessage.kind == kinds.KIND_WAITLISTED,
    )
    _queue(kinds.KIND_PROMOTED, registration, now, f"reg:{registration.id}:promoted")


def queue_cancelled_mail(registration: Registration, now: datetime) -> None:
    _queue(kinds.KIND_CANCELLED_BY_YOU, registration, now, f"reg:{registration.id}:cancelled")


def queue_event_changed(
    registration: Registration, now: datetime, changes: list[dict[str, str]] | None = None
) -> None:
    """The time or place changed: tell the registrant what changed, from what to what, with
    the updated calendar entry."""
    event = registration.event
    _queue(kinds.KIND_EVENT_CHANGED, registration, now,
           f"event:{event.id}:changed:{event.sequence}:{registration.id}",
           changes=list(changes or []))  # fmt: skip


def queue_event_cancelled(registration: Registration, now: datetime) -> None:
    """The event is cancelled: tell the registrant and withdraw the calendar entry."""
    _queue(kinds.KIND_EVENT_CANCELLED, registration, now,
           f"event:{registration.event_id}:cancelled:{registration.id}")  # fmt: skip


def waitlist_position(registration: Registration) -> int:
    """1 for the first person on the waitlist."""
    from sqlalchemy import func, select

    ahead = db.session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.event_id == registration.event_id,
            Registration.status == STATUS_WAITLISTED,
            Registration.id < registration.id,
        )
    )
    return int(ahead or 0) + 1


# --- rendering (in the deliverer) --------------------------------------------------------


def reply_to_for(event: Event) -> str | None:
    """The organizer's address for replies (never the From), or the campaign contact."""
    return mail.shared(("reply_to", event.id), lambda: _reply_to(event))


def _reply_to(event: Event) -> str | None:
    organizer = event.organizer
    if organizer is not None and organizer.is_enabled and organizer.password_hash:
        return organizer.email
    return event.campaign.contact_email or None


def _optional_url(endpoint: str, **values: Any) -> str | None:
    """An absolute URL for endpoint, or None while that feature is not installed."""
    try:
        return absolute_url(endpoint, **values)
    except BuildError:
        return None


def manage_token_for(registration: Registration, keys: Sequence[str]) -> str:
    """The token of the registration's manage link, for mail (keys: current key first).

    Made under whichever key made the stored hash, so mail sent after a key rotation
    carries the same link as mail sent before it. When none of the keys did (the key was
    retired), the link is re-issued under the current key and the old one stops working.
    """
    token = matching_manage_token(keys, registration.token_nonce, registration.token_hash)
    if token is not None:
        return token
    token = manage_token(keys[0], registration.token_nonce)
    if not registration.is_anonymised:  # an anonymised registration stays unreachable
        registration.token_hash = hash_token(token)
    return token


def links_for(registration: Registration, secret_key: str) -> dict[str, Any]:
    """Every link a registrant's mail may need, absolute, from BASE_URL.

    secret_key is the current key; the old ones in SECRET_KEY_FALLBACKS are tried too.
    """
    event = registration.event
    join_url = event.join_url if registration.is_confirmed and event.join_url else None
    keys = [secret_key, *current_app.config.get("SECRET_KEY_FALLBACKS", ())]
    common = mail.shared(
        ("links", event.id, current_locale(), join_url), lambda: _event_links(event, join_url)
    )
    return {
        "event_url": common["event_url"],
        "manage_url": absolute_url("signups.manage", token=manage_token_for(registration, keys)),
        "share_url": absolute_url("events.detail", slug=event.slug, ref=registration.referral_code),
        "ics_url": common["ics_url"],
        "events_url": common["events_url"],
        "facts_url": common["facts_url"],
        "google_url": common["google_url"],
        "outlook_url": common["outlook_url"],
        "join_url": join_url,
        "card_url": common["card_url"],
        "check_in_code": check_in_code(secret_key, registration.token_nonce),
    }


def _event_links(event: Event, join_url: str | None) -> dict[str, Any]:
    """The links of links_for() that are the same for every registrant of the event."""
    event_url = absolute_url("events.detail", slug=event.slug)
    return {
        "event_url": event_url,
        "ics_url": absolute_url("events.calendar_file", slug=event.slug),
        "events_url": absolute_url("events.index"),
        "facts_url": _optional_url("graphics.facts") or absolute_url("campaigns.home"),
        "google_url": calendar.google_calendar_link(event, event_url, join_url),
        "outlook_url": calendar.outlook_calendar_link(event, event_url, join_url),
        "card_url": _event_card_url(event),
    }


def _event_card_url(event: Event) -> str | None:
    """The absolute URL of the event's current share card (its key is registered here)."""
    try:
        from campaign.graphics.services.refs import event_card_url

        return event_card_url(event)
    except BuildError:
        return None


def calendar_text(registration: Registration, links: dict[str, Any]) -> str:
    event = registration.event
    return mail.shared(
        ("ics", event.id, current_locale(), links["event_url"], links["join_url"]),
        lambda: calendar.event_calendar(
            event, current_app.config["BASE_URL"], links["event_url"], links["join_url"]
        ).decode(),
    )


def registration_of(row: OutboxMessage) -> Registration:
    """The live registration a row is about, or CannotRender."""
    registration = (
        db.session.get(Registration, row.registration_id) if row.registration_id else None
    )
    if registration is None or registration.is_anonymised:
        raise mail.CannotRender("the registration no longer exists")
    return registration


def event_words(event: Event) -> dict[str, str]:
    """The event's title, summary and time in the locale being rendered (in_locale)."""
    locale = current_locale()
    return mail.shared(("words", event.id, locale), lambda: _event_words(event, locale))


def _event_words(event: Event, locale: str) -> dict[str, str]:
    return {
        "title": event_title(event, locale),
        "summary": event_summary(event, locale),
        "when_text": format_event_range(event.starts_at, event.ends_at, event.timezone, locale),
    }


def translated_changes(changes: list[dict[str, str]]) -> list[dict[str, str]]:
    """What an edit changed, its labels ("Time", "Place") in the locale being rendered,
    a time written again in it; other values as the event's page showed them then."""
    locale = current_locale()
    translated = []
    for change in changes:
        change = {**change, "what": gettext(change.get("what", ""))}
        for side in ("before", "after"):
            written = _times_text(change.get(f"{side}_times", ""), locale) or _where_text(
                change.get(f"{side}_where", "")
            )
            if written:
                change[side] = written
        translated.append(change)
    return translated


def _times_text(times: str, locale: str) -> str | None:
    """The times of schedule_and_place() ("<start ISO> <end ISO> <zone>") written for
    locale, or None when `times` is not that."""
    try:
        start, end, zone = times.split(" ")
        return format_event_range(
            datetime.fromisoformat(start), datetime.fromisoformat(end), zone, locale
        )
    except (ValueError, KeyError, ZoneInfoNotFoundError):
        return None


def _where_text(where: str) -> str | None:
    """The place of schedule_and_place() (a JSON list: format, venue, address, city)
    written in the locale being rendered, or None when `where` is not that."""
    try:
        parts = json.loads(where)
        if not (isinstance(parts, list) and len(parts) == 4):
            return None
        return place_line(*(str(p) for p in parts))
    except ValueError:
        return None


def context_for(registration: Registration, **extra: Any) -> dict[str, Any]:
    """Everything a registrant's mail template reads; call it inside in_locale()."""
    event = registration.event
    links = links_for(registration, current_app.config["SECRET_KEY"])
    if "changes" in extra:
        extra["changes"] = translated_changes(list(extra["changes"] or []))
    return {"registration": registration, "event": event, "campaign": event.campaign,
            **event_words(event), **links, **extra}  # fmt: skip


def _renderer(template: str, with_ics: bool) -> mail.Renderer:
    """The renderer of one kind of registration mail: its template, with or without .ics."""

    def render(row: OutboxMessage) -> mail.Rendered:
        registration = registration_of(row)
        with in_locale(registration.language):  # a language no longer offered: the default
            context = context_for(registration, **(row.params or {}))
            subject, text, html = mail.render(template, context)
            ics = calendar_text(registration, context) if with_ics else None
        reply_to = reply_to_for(registration.event)
        return mail.Rendered(
            subject, text, html, headers={"Reply-To": reply_to} if reply_to else {}, ics=ics
        )

    return render


def register_renderers() -> None:
    """Tell the mail feature how to render the kinds this module queues."""
    for kind, template, with_ics in (
        (kinds.KIND_CONFIRMED, "registration_confirmed", True),
        (kinds.KIND_WAITLISTED, "waitlisted", False),
        (kinds.KIND_PROMOTED, "promoted", True),
        (kinds.KIND_CANCELLED_BY_YOU, "registration_cancelled", False),
        (kinds.KIND_EVENT_CHANGED, "event_changed", True),
        (kinds.KIND_EVENT_CANCELLED, "event_cancelled", True),
    ):
        mail.register_renderer(kind, _renderer(template, with_ics))
