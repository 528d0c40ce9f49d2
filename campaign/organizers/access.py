"""Who may see and change what: an admin sees every event, an organizer only their own.

The rule is written once, here, in the forms the features need: a query limited to the
events an organizer may see (scope), the ids of those events (visible_event_ids), one
event (event_for), and what opens every organizer page (organizers_only for a blueprint,
the decorators admin_required and organizer_event).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, abort
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import Select, select

from campaign.events.models import Event
from campaign.extensions import db
from campaign.organizers.models import Organizer

RowT = TypeVar("RowT", bound=tuple[Any, ...])
View = Callable[..., ResponseReturnValue]
# Every view wrapped by organizer_event (a test checks each /manage route with an
# <event_id> is one of them).
EVENT_VIEWS: set[View] = set()


def may_manage(organizer: Organizer, event: Event) -> bool:
    """Whether organizer may see and change event: admins any, others their own."""
    return organizer.is_admin or event.organizer_id == organizer.id


def scope(query: Select[RowT], organizer: Organizer) -> Select[RowT]:
    """query (which selects from or joins events) limited to the organizer's events;
    unchanged for admins."""
    if organizer.is_admin:
        return query
    return query.where(Event.organizer_id == organizer.id)


def scope_key(organizer: Organizer) -> int | None:
    """What sets the organizer's scope apart, for cache keys: None for admins (everything)."""
    return None if organizer.is_admin else organizer.id


def visible_event_ids(organizer: Organizer) -> Select[tuple[int]] | None:
    """The ids of the events organizer may see, as a query; None for admins (every event)."""
    if organizer.is_admin:
        return None
    return scope(select(Event.id), organizer)


def event_for(organizer: Organizer, event_id: int) -> Event | None:
    """The event when organizer may see and change it, else None (missing or not theirs)."""
    event = db.session.get(Event, event_id)
    if event is None or not may_manage(organizer, event):
        return None
    return event


@login_required
def _signed_in() -> None:
    """Nothing more: login_required has sent anyone not signed in to the sign-in page."""


def organizers_only(bp: Blueprint) -> None:
    """Every route of bp needs a signed-in organizer (the first step of the preamble)."""
    bp.before_request(_signed_in)


def admin_required(view: View) -> View:
    """Only admins; anyone else gets 404 so the page's existence is not revealed."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if not current_user.is_admin:
            abort(404)
        return view(*args, **kwargs)

    return wrapped


def organizer_event(view: View) -> View:
    """The preamble of every organizer page about one event (a route with <event_id>).

    A signed-in organizer is required; the view is called with `event` (the event the
    organizer may manage) instead of `event_id`. An event that does not exist or belongs
    to someone else answers 404 alike, so its existence is not revealed.
    """

    @wraps(view)
    @login_required
    def wrapped(*args: Any, event_id: int, **kwargs: Any) -> ResponseReturnValue:
        event = event_for(current_user, event_id)
        if event is None:
            abort(404)
        return view(*args, event=event, **kwargs)

    EVENT_VIEWS.add(wrapped)
    return wrapped
