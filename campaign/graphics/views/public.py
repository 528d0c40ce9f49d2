"""Share graphics on the public site: /cards/<key>.png, the /facts gallery and one pair's
page, and the card helpers other features' templates use. Thin: parse, call services, render."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask.globals import request_ctx
from flask_babel import gettext

from campaign.campaigns.models import Campaign
from campaign.campaigns.services import current_campaign
from campaign.core.timeutil import to_local, utcnow
from campaign.core.urls import absolute_url
from campaign.events.models import Event
from campaign.graphics.models import FactCard, Source
from campaign.graphics.services.cardspecs import OG_PRESET
from campaign.graphics.services.content import public_fact, withdrawn_fact
from campaign.graphics.services.fact_translations import FactText, fact_text
from campaign.graphics.services.refs import (
    CardRef,
    approved_fact_refs,
    attending_refs,
    countdown_refs,
    event_refs,
    fact_refs_if_fits,
    name_left_off,
)
from campaign.graphics.services.registry import flush_pending
from campaign.graphics.services.sharing import (
    ShareLink,
    event_share_text,
    fact_share_text,
    share_links,
)
from campaign.graphics.services.sources import campaign_source, source_paragraphs
from campaign.graphics.services.thumbs import (
    THUMB_TYPES,
    THUMB_WIDTHS,
    delete_thumbs,
    make_thumb,
    thumb_store,
)
from campaign.graphics.serving import (
    GONE_BODY,
    GONE_CACHE_CONTROL,
    IMMUTABLE,
    CardWithdrawn,
    client_has,
    served_card,
)
from campaign.i18n.web import current_locale
from campaign.signups.models import Registration

bp = Blueprint("graphics", __name__)


# --- /cards/<key>.png -------------------------------------------------------------------------


class _CookielessResponse(Response):
    """A public, immutable image never carries a cookie (shared caches would store it)."""

    def set_cookie(self, *args: Any, **kwargs: Any) -> None:
        return None

    def delete_cookie(self, *args: Any, **kwargs: Any) -> None:
        return None


def _leave_session_alone() -> None:
    """Answer without the visitor's session: nothing is read, refreshed or sent back.

    Flask saves (and re-sends) a permanent session on every response; swapping in a null
    session for this request skips that, and with it the Vary: Cookie header.
    """
    if hasattr(request_ctx, "_session"):  # the proxy hands both to this request's context
        request_ctx._session = current_app.session_interface.make_null_session(current_app)


PERSONAL_CARD_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Robots-Tag": "noindex",
    "Cross-Origin-Resource-Policy": "same-origin",
}


@bp.get("/cards/<key>.png")
def card(key: str) -> Response:
    """A share card's PNG by its key (410 once its pair is withdrawn)."""
    _leave_session_alone()
    try:
        served = served_card(key)
    except CardWithdrawn:
        response = _CookielessResponse(GONE_BODY, 410, mimetype="text/plain")
        response.headers["Cache-Control"] = GONE_CACHE_CONTROL
        return response
    if served is None:
        response = _CookielessResponse("Card not found.\n", 404, mimetype="text/plain")
        response.headers["Cache-Control"] = "public, max-age=60"
        return response
    if served.is_personal:
        # A registrant's name: no proxy or browser cache keeps it, so withdrawing it works.
        response = _CookielessResponse(served.data, 200, mimetype="image/png")
        response.headers.update(PERSONAL_CARD_HEADERS)
        response.content_length = len(served.data)
        return response
    headers = {
        "Cache-Control": IMMUTABLE,
        "ETag": f'"{key}"',
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if client_has(request.headers.get("If-None-Match"), key):
        return _CookielessResponse(status=304, headers=headers)
    response = _CookielessResponse(served.data, 200, mimetype="image/png", headers=headers)
    response.content_length = len(served.data)
    return response


@bp.get("/cards/<key>/w<int:width>.<fmt>")
def card_thumb(key: str, width: int, fmt: str) -> Response:
    """A public card scaled down for pages (WebP or PNG); 410 once its pair is withdrawn."""
    _leave_session_alone()
    if width not in THUMB_WIDTHS or fmt not in THUMB_TYPES:
        abort(404)
    try:
        served = served_card(key)
    except CardWithdrawn:
        delete_thumbs(key)
        response = _CookielessResponse(GONE_BODY, 410, mimetype="text/plain")
        response.headers["Cache-Control"] = GONE_CACHE_CONTROL
        return response
    if served is None or served.is_personal:
        response = _CookielessResponse("Card not found.\n", 404, mimetype="text/plain")
        response.headers["Cache-Control"] = "public, max-age=60"
        return response
    etag = f"{key}-w{width}-{fmt}"
    headers = {
        "Cache-Control": IMMUTABLE,
        "ETag": f'"{etag}"',
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if client_has(request.headers.get("If-None-Match"), etag):
        return _CookielessResponse(status=304, headers=headers)
    data = thumb_store(width, fmt).get_or_render(key, lambda: make_thumb(served.data, width, fmt))
    response = _CookielessResponse(data, 200, mimetype=THUMB_TYPES[fmt], headers=headers)
    response.content_length = len(data)
    return response


@bp.after_app_request
def _register_card_keys(response: Response) -> Response:
    """Card keys the page pointed at are registered once the page is ready."""
    if response.status_code < 500:
        flush_pending()
    return response


# --- Public gallery ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FactView:
    """One approved pair with everything the gallery shows for it."""

    card: FactCard
    refs: dict[str, CardRef]
    page_url: str
    share: list[ShareLink]
    share_text: str

    @property
    def main(self) -> CardRef:
        """The card the gallery shows (the square one)."""
        return self.refs["square"]

    @property
    def source(self) -> Source | None:
        """The source the pair cites (None for a pair saved before sources were kept)."""
        return self.card.source

    @property
    def text(self) -> FactText:
        """The pair in the visitor's language (its approved translation), else as written."""
        return fact_text(self.card, current_locale())


def _fact_view(card: FactCard, campaign: Campaign, refs: dict[str, CardRef]) -> FactView:
    """What the gallery shows for one pair."""
    page_url = absolute_url("graphics.fact", slug=card.slug)
    text = fact_share_text(card, campaign)
    myth = fact_text(card, current_locale()).myth
    return FactView(
        card=card,
        refs=refs,
        page_url=page_url,
        share=share_links(page_url, text, subject=gettext("Myth and fact: %(myth)s", myth=myth)),
        share_text=text,
    )


def _fact_views(campaign: Campaign, limit: int | None = None) -> list[FactView]:
    """The gallery's items: the public pairs drawn as one set, leaving off those that no
    longer fit."""
    return [
        _fact_view(card, campaign, refs) for card, refs in approved_fact_refs(campaign.id, limit)
    ]


def _public_campaign() -> Campaign:
    """The campaign the public pages are about (404 before there is one)."""
    campaign = current_campaign()
    if campaign is None:
        abort(404)
    return campaign


@bp.get("/facts")
def facts() -> str:
    """The gallery: every approved myth/fact pair with its cards and share links."""
    campaign = _public_campaign()
    items = _fact_views(campaign)
    og = items[0].refs[OG_PRESET] if items else None
    if og is None:
        og = countdown_refs(campaign, utcnow()).get(OG_PRESET)
    page_url = absolute_url("graphics.facts")
    sources = {i.source.id: i.source for i in items if i.source is not None}
    return render_template(
        "graphics/facts.html",
        items=items,
        og=og,
        page_url=page_url,
        page_share=share_links(
            page_url, f"Myths and facts about ketamine. {campaign.hashtag}".strip()
        ),
        sources=list(sources.values()),
        other_titles=sorted({i.card.source_title for i in items if i.source is None}),
    )


@bp.get("/facts/sources/<int:source_id>")
def source(source_id: int) -> str:
    """A source the public cards cite, with its full text, so anyone can check a quote."""
    campaign = _public_campaign()
    row = campaign_source(campaign.id, source_id)
    items = [i for i in _fact_views(campaign) if i.card.source_id == source_id]
    if row is None or not items:
        abort(404)  # sources only public cards cite are public
    return render_template(
        "graphics/source.html",
        source=row,
        items=items,
        paragraphs=source_paragraphs(row.text),
    )


@bp.get("/facts/<slug>")
def fact(slug: str) -> str | tuple[str, int]:
    """One pair's page with its cards, or 410 saying it was withdrawn."""
    campaign = _public_campaign()
    card = public_fact(campaign.id, slug)
    refs = fact_refs_if_fits(card) if card is not None else None
    if card is not None and refs is not None:
        item = _fact_view(card, campaign, refs)
        return render_template("graphics/fact.html", item=item)
    withdrawn = withdrawn_fact(campaign.id, slug)
    if withdrawn is None:
        abort(404)
    assert withdrawn.withdrawn_at is not None
    day = to_local(withdrawn.withdrawn_at, campaign.timezone).date()
    return render_template("graphics/withdrawn.html", withdrawn_on=day), 410


# --- Template helpers for pages of other features (event page, manage page, home page) --------


@bp.app_template_global("event_cards")
def _event_cards(event: Event) -> dict[str, CardRef]:
    """The event's cards, for the event page."""
    return event_refs(event)


@bp.app_template_global("attending_cards")
def _attending_cards(registration: Registration) -> dict[str, CardRef]:
    """The registrant's "I'm attending" cards, for their manage page."""
    return attending_refs(registration)


@bp.app_template_global("attending_name_omitted")
def _attending_name_omitted(registration: Registration) -> bool:
    """Whether the fonts could not draw the registrant's name on their card."""
    return name_left_off(registration)


@bp.app_template_global("countdown_cards")
def _countdown_cards(campaign: Campaign) -> dict[str, CardRef]:
    """Today's countdown cards, for the home page."""
    return countdown_refs(campaign, utcnow())


@bp.app_template_global("featured_facts")
def _featured_facts(campaign: Campaign, limit: int = 3) -> list[FactView]:
    """The first approved pairs, for the home page."""
    return _fact_views(campaign, limit)


@bp.app_template_global("share_links")
def _share_links(url: str, text: str, subject: str = "") -> list[ShareLink]:
    """Plain share links for any page."""
    return share_links(url, text, subject)


@bp.app_template_global("event_share_text")
def _event_share_text(event: Event) -> str:
    """The text shared with an event's link."""
    return event_share_text(event)
