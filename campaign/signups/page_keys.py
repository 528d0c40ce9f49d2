"""The page after registering ("check your inbox") in the page cache: its slot, state and
hole, shared by the view (which renders and stores it) and campaign.core.pagecache's
CachedPages (which answers hits before the request cycle), so both name the same copy.

Everyone who registers for an event lands on this page at once, so it is rendered once
per state and then served from memory like the event page. It shows the event as the
event page does (title, times, place, cards, whether it is cancelled or over), so it is
stored under the event page's state (campaign.events.event_page) and the time only as
before or after the event's end: any change to what it shows renders it again. The one
per-visitor value, the resend form's one-time token, is a hole filled on every answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from werkzeug.datastructures import MultiDict

from campaign.core.pagecache import CachedRoute, PageKey, Reads
from campaign.events.cache_keys import remembered_page_state
from campaign.events.event_page import PublicPageState
from campaign.signups import guard

RESEND_SLOT = "resend:"  # its form tokens never pass for another form, nor theirs for it
# A token of this form sent by a browser, a proxy or a shared device must not be kept.
NO_STORE = ("Cache-Control", "no-store")


def page_slot(state: PublicPageState, args: MultiDict[str, str]) -> tuple[Any, ...]:
    """Which copy: the event's, and whether it says the mail was sent again (?sent=1)."""
    return (state.event_id, args.get("sent") == "1")


def page_version(state: PublicPageState, now: datetime) -> tuple[Any, ...]:
    """What the page shows of the event, and whether the event is over (the calendar
    links, the invitation and the resend form are shown only before its end)."""
    return (state.digest, now < state.ends_at)


def page_holes(slug: str) -> dict[str, Callable[[], str]]:
    """The resend form's token, fresh for every answer (made for a first fill)."""
    return {"started": lambda: guard.form_token(guard.form_keys(), RESEND_SLOT + slug)}


def _registered_key(
    params: dict[str, str], args: MultiDict[str, str], reads: Reads, now: datetime, _locale: str
) -> PageKey | None:
    slug = params["slug"]
    state = remembered_page_state(reads, slug)  # the event page's: a visit reads it once
    if state is None:
        return None
    return PageKey(page_slot(state, args), page_version(state, now), page_holes(slug))


REGISTERED_ROUTE = CachedRoute(
    re.compile(r"/events/(?P<slug>[A-Za-z0-9_-]{1,160})/registered"),
    "signups.registered",
    _registered_key,
    headers=(NO_STORE,),
)
