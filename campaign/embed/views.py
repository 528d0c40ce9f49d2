"""/embed/events: the event finder partner sites frame; /manage/embed: its snippet and,
for admins, the allow-list of sites that may frame it. Thin: parse, call services, render."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.globals import request_ctx
from flask.typing import ResponseReturnValue
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms import TextAreaField

from campaign.campaigns.services import current_campaign
from campaign.core.forms import Form, bind_errors
from campaign.core.security import csp_framable_by
from campaign.core.timeutil import utcnow
from campaign.core.urls import absolute_url, last_segment_urls, page_number
from campaign.embed import services
from campaign.events import eventmap, public
from campaign.extensions import db

bp = Blueprint("embed", __name__)
manage_bp = Blueprint("embed_manage", __name__, url_prefix="/manage/embed")

PER_PAGE = 10
# Asked again on every view: a change of the allow-list applies at once, and no shared
# cache keeps a copy whose answer depended on the framing site.
CACHE_CONTROL = "no-cache"


def _leave_session_alone() -> None:
    """No cookie in a frame on another site: this request uses a null session."""
    if hasattr(request_ctx, "_session"):
        request_ctx._session = current_app.session_interface.make_null_session(current_app)


def _framable(body: str, status: int, sources: str) -> Response:
    response = current_app.make_response((body, status))
    response.headers["Content-Security-Policy"] = csp_framable_by(sources)
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


@bp.get("/embed/events")
def events() -> Response:
    """Upcoming events with the listing's filters, made to be framed by partner sites.

    A frame requested by a page the allow-list does not name gets a short page saying so
    (framable, so the partner sees why); CSP frame-ancestors refuses every other frame.
    """
    _leave_session_alone()
    campaign = current_campaign()
    if campaign is None:
        abort(404)
    origins = services.allowed_origins(campaign)
    sources = services.frame_ancestors(origins)
    embedder = services.referrer_origin(request.headers.get("Referer"))
    own = services.referrer_origin(current_app.config["BASE_URL"])
    if (
        request.headers.get("Sec-Fetch-Dest") == "iframe"
        and embedder
        and embedder != own
        and not services.origin_allowed(embedder, origins)
    ):
        body = render_template(
            "embed/refused.html",
            campaign=campaign,
            embedder=embedder,
            site_url=absolute_url("events.index"),
        )
        return _framable(body, 403, services.ANY_SITE)
    now = utcnow()
    filters = public.ListingFilters(
        city=request.args.get("city", "")[:100],
        region=request.args.get("region", "")[:100],
        online=request.args.get("online") == "1",
    )
    pagination = db.paginate(
        public.public_events_query(campaign.id, now, filters),
        page=page_number(),
        per_page=PER_PAGE,
        error_out=False,
    )
    cities, regions = public.public_places(campaign.id, now)
    event_map = eventmap.build_map(
        eventmap.map_events(campaign.id, now, filters),
        last_segment_urls(absolute_url, "events.detail", "slug"),
        new_tab=True,
    )
    body = render_template(
        "embed/events.html",
        event_map=event_map,
        campaign=campaign,
        pagination=pagination,
        filters=filters,
        cities=cities,
        regions=regions,
        event_url=lambda slug: absolute_url("events.detail", slug=slug),
        site_url=absolute_url("events.index"),
    )
    return _framable(body, 200, sources)


# --- organizer side -------------------------------------------------------------------------


class AllowListForm(Form):
    """The admin's list of sites that may frame the event finder."""

    embed_origins = TextAreaField(lazy_gettext("Sites allowed to show the event finder"))


@manage_bp.before_request
@login_required
def _require_login() -> None:
    """Every page here needs a signed-in organizer."""


@manage_bp.route("", methods=["GET", "POST"])
def index() -> ResponseReturnValue:
    """The copy-paste snippet (with optional filters), a preview, and the allow-list."""
    campaign = current_campaign()
    if campaign is None:
        abort(404)
    form = AllowListForm()
    if request.method == "POST":
        if not current_user.is_admin:
            abort(404)
        if form.validate_on_submit():
            try:
                origins = services.set_allowed_origins(campaign, form.embed_origins.data or "")
            except services.EmbedValidationError as exc:
                db.session.rollback()
                bind_errors(form, exc)
            else:
                db.session.commit()
                flash(
                    gettext("Saved: only the sites listed may show the event finder.")
                    if origins
                    else gettext("Saved: any site may show the event finder."),
                    "success",
                )
                return redirect(url_for("embed_manage.index"))
    else:
        form.embed_origins.data = campaign.embed_origins
    choice = public.ListingFilters(
        city=request.args.get("city", "")[:100],
        region=request.args.get("region", "")[:100],
        online=request.args.get("online") == "1",
    )
    embed_url = absolute_url(
        "embed.events",
        city=choice.city or None,
        region=choice.region or None,
        online="1" if choice.online else None,
    )
    cities, regions = public.public_places(campaign.id, utcnow())
    status = 400 if request.method == "POST" else 200
    return render_template(
        "manage/embed/index.html",
        form=form,
        origins=services.allowed_origins(campaign),
        snippet=services.snippet(embed_url, campaign.name),
        preview_url=url_for(
            "embed.events",
            city=choice.city or None,
            region=choice.region or None,
            online="1" if choice.online else None,
        ),
        choice=choice,
        cities=cities,
        regions=regions,
    ), status
