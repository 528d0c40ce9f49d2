"""/events/<slug>/flyer.pdf: an event's printable flyer, Letter or A4 (?paper=), and the
links to it that the event pages show. Thin: parse, call the flyer service, answer."""

from __future__ import annotations

from flask import Blueprint, Response, make_response, request, url_for

from campaign.core.errors import render_error
from campaign.core.timeutil import utcnow
from campaign.events.models import Event
from campaign.events.public import public_event
from campaign.graphics.services import flyers

bp = Blueprint("flyers", __name__)

CACHE_CONTROL = "public, max-age=300"


@bp.get("/events/<slug>/flyer.pdf")
def flyer(slug: str) -> Response:
    """The event's flyer as a one-page PDF on ?paper=letter|a4 (default: the campaign's)."""
    event = public_event(slug)
    if event is None or not event.is_published:
        return make_response(render_error(404))
    if event.is_past(utcnow()):
        return make_response(render_error(404, "This event has ended: its flyer is retired."))
    try:
        paper = flyers.paper_or_default(request.args.get("paper"), event.campaign)
    except flyers.UnknownPaper as exc:
        return make_response(render_error(400, str(exc)))
    key, data = flyers.flyer_pdf(flyers.flyer_spec(event), paper)
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'inline; filename="{event.slug[:80]}-flyer-{paper}.pdf"'
    )
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.set_etag(key)
    response.make_conditional(request)
    return response


@bp.app_template_global("flyer_links")
def _flyer_links(event: Event) -> list[tuple[str, str]]:
    """(address, label) of the event's flyer per paper, the campaign's default first."""
    return [
        (url_for("flyers.flyer", slug=event.slug, paper=paper), label)
        for paper, label in flyers.papers_for(event.campaign)
    ]
