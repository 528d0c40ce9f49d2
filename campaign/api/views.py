"""/api/v1/events and /api/v1/events/<slug>: read-only JSON for partner sites.

Every answer may be read by a page on any origin (CORS for GET), carries an ETag and is
answered 304 when the client already has it. A body is built once per state of the
campaign's events (campaign.events.cache_keys.listing_state, one query) and kept in memory.
That state itself is read at most once a second per process (STATE_SECONDS): a busy
partner page then costs no query at all, and a change shows within a second (clients may
keep an answer for MAX_AGE_SECONDS anyway).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, request
from werkzeug.wrappers import Response as BaseResponse

from campaign.api import services
from campaign.campaigns.services import request_campaign
from campaign.core.cache import app_cache
from campaign.core.timeutil import utcnow
from campaign.core.urls import absolute_url
from campaign.events import cache_keys

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_BODIES = 256
MAX_AGE_SECONDS = 60
CACHE_CONTROL = f"public, max-age={MAX_AGE_SECONDS}"
STATE_SECONDS = 1.0
_clock = time.monotonic  # the memo's clock (tests move it)
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "If-None-Match",
    "Access-Control-Expose-Headers": "ETag",
    "Access-Control-Max-Age": "86400",
}


@bp.after_request
def _cors(response: BaseResponse) -> BaseResponse:
    """Any origin may read the API (it is public and read-only; no cookies are used)."""
    response.headers.update(CORS_HEADERS)
    return response


def _error(status: int, message: str, parameter: str | None = None) -> Response:
    """A JSON error: {"error": {"status", "message"[, "parameter"]}}, never cached."""
    error: dict[str, Any] = {"status": status, "message": message}
    if parameter is not None:
        error["parameter"] = parameter
    response = Response(json.dumps({"error": error}), status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def _event_url(slug: str) -> str:
    return absolute_url("events.detail", slug=slug)


def _listing_state() -> cache_keys.ListingState | None:
    """cache_keys.listing_state, read again once STATE_SECONDS have passed (0: every time)."""
    if STATE_SECONDS <= 0:
        return cache_keys.listing_state(utcnow())
    bucket = int(_clock() // STATE_SECONDS)
    store = app_cache("api-state", 1)
    found, state = store.lookup("state", bucket)
    if not found:
        state = cache_keys.listing_state(utcnow())
        store.put("state", bucket, state)
    return state


def _version(slot: tuple[Any, ...], state: cache_keys.ListingState) -> str:
    """The ETag of slot's body in this state of the campaign's events."""
    return hashlib.blake2b(repr((slot, state.key)).encode(), digest_size=16).hexdigest()


def stored_body(slot: tuple[Any, ...]) -> tuple[str, str] | None:
    """(ETag, body) of slot when a body for the current state is in memory, else None
    (for campaign.api.front, which answers such hits before the request cycle)."""
    state = _listing_state()
    if state is None:
        return None
    version = _version(slot, state)
    found, body = app_cache("api", MAX_BODIES).lookup(slot, version)
    return (version, body) if found and body is not None else None


def _cached(slot: tuple[Any, ...], build: Callable[[], dict[str, Any] | None]) -> Response:
    """The body for slot in the current state of the events, from memory or built; with
    its ETag, 304 when the client has it, and 404 when build() finds nothing."""
    state = _listing_state()
    if state is None:
        return _error(404, "There is no active campaign.")
    version = _version(slot, state)
    store = app_cache("api", MAX_BODIES)
    found, body = store.lookup(slot, version)
    if not found:
        payload = build()
        body = None if payload is None else json.dumps(payload, ensure_ascii=False)
        if body is not None:  # a miss is not kept: guessed slugs cannot crowd out pages
            store.put(slot, version, body)
    if body is None:
        return _error(404, "No upcoming published event has that address.")
    response = Response(body, mimetype="application/json")
    response.set_etag(version)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.make_conditional(request)  # 304 (no body) when If-None-Match has the ETag
    return response


def list_slot(query: services.ListQuery) -> tuple[Any, ...]:
    """The memo slot of a listing request."""
    return ("list", query)


def event_slot(slug: str) -> tuple[Any, ...]:
    """The memo slot of one event's request."""
    return ("event", slug[:200])


@bp.get("/events")
def events() -> Response:
    """Upcoming published events, soonest first: ?page=&per_page=&city=&region=&online=."""
    try:
        query = services.parse_list_query(request.args)
    except services.BadParameter as exc:
        return _error(400, exc.message, exc.parameter)

    def build() -> dict[str, Any] | None:
        campaign = request_campaign()
        if campaign is None:
            return None
        page = services.list_page(campaign, query, utcnow(), _event_url)

        def link(number: int) -> str:
            return absolute_url(
                "api.events",
                page=number,
                per_page=query.per_page,
                city=query.filters.city or None,
                region=query.filters.region or None,
                online=1 if query.filters.online else None,
            )

        page["links"] = {
            "self": link(query.page),
            "next": link(query.page + 1) if query.page < page["pages"] else None,
            "prev": link(min(query.page - 1, page["pages"])) if query.page > 1 else None,
        }
        return page

    return _cached(list_slot(query), build)


@bp.get("/events/<slug>")
def event(slug: str) -> Response:
    """One upcoming published event by its slug (404 JSON for any other)."""

    def build() -> dict[str, Any] | None:
        campaign = request_campaign()
        found = None if campaign is None else services.upcoming_event(campaign, slug, utcnow())
        if campaign is None or found is None:
            return None
        return {
            "campaign": services.campaign_json(campaign),
            "event": services.event_json(found, _event_url),
        }

    return _cached(event_slot(slug), build)


@bp.get("/", defaults={"rest": ""})
@bp.get("/<path:rest>")
def unknown(rest: str) -> Response:
    """Any other address under /api/v1/: a JSON 404 saying what exists."""
    return _error(404, "No such API address: use /api/v1/events or /api/v1/events/<slug>.")
