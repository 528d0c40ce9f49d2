"""The public home page and the campaign settings page."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from campaign.campaigns import services, site_theme
from campaign.campaigns.forms import CampaignSettingsForm
from campaign.core.forms import bind_errors
from campaign.core.timeutil import days_until, next_day_start, to_local, utcnow
from campaign.events import public, translations
from campaign.extensions import db
from campaign.i18n.web import current_locale
from campaign.organizers.access import admin_required

bp = Blueprint("campaigns", __name__)


@bp.get("/")
def home() -> str:
    """The public home page: the campaign, days to go, the next events."""
    campaign = services.current_campaign()
    now = utcnow()
    upcoming: list = []
    totals = {"events": 0, "cities": 0, "online": 0, "registrations": 0}
    badges: dict = {}
    event_texts: dict = {}
    days_left = None
    day_ends_ms = 0
    if campaign is not None:
        upcoming = list(
            db.session.scalars(
                public.public_events_query(campaign.id, now, public.ListingFilters()).limit(6)
            )
        )
        totals = public.public_totals(campaign.id, now)
        figures = public.seat_figures([event.id for event in upcoming])
        badges = {event.id: public.seat_badge(event, *figures[event.id]) for event in upcoming}
        event_texts = translations.localized_many(upcoming, current_locale())
        days_left = days_until(campaign.day, to_local(now, campaign.timezone).date())
        # Until then the count written here is right; the page's script recounts only after.
        day_ends_ms = int(next_day_start(now, campaign.timezone).timestamp() * 1000)
    return render_template(
        "campaigns/home.html",
        upcoming=upcoming,
        badges=badges,
        event_texts=event_texts,
        totals=totals,
        days_left=days_left,
        day_ends_ms=day_ends_ms,
    )


def _versioned(response: Response, version: str) -> Response:
    """Cached for a year when asked for under the current version, else revalidated."""
    if version and request.args.get("v") == version:
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/theme.css")
def theme_css() -> Response:
    """The site header in the campaign's colours (linked only when they are not the default)."""
    theme = site_theme.site_theme(services.current_campaign())
    response = make_response(site_theme.stylesheet(theme))
    response.mimetype = "text/css"
    return _versioned(response, theme.version)


@bp.get("/logo.png")
def logo() -> Response:
    """The campaign's logo for the site header (re-encoded PNG, validated on upload)."""
    from campaign.graphics.services.theme import logo_bytes

    campaign = services.current_campaign()
    data = logo_bytes(campaign) if campaign is not None else None
    if data is None:
        abort(404)
    return _versioned(Response(data, mimetype="image/png"), site_theme.logo_version(campaign))


@bp.route("/manage/settings", methods=["GET", "POST"])
@admin_required
def settings() -> ResponseReturnValue:
    """The campaign's name, day, time zone, texts and contact (admins only)."""
    campaign = services.current_campaign()
    if campaign is None:
        abort(404)
    form = CampaignSettingsForm(obj=campaign)
    if form.validate_on_submit():
        try:
            services.update_settings(campaign, form.to_settings())
        except services.CampaignValidationError as exc:
            db.session.rollback()
            bind_errors(form, exc)
        else:
            db.session.commit()
            flash(gettext("Campaign settings saved."), "success")
            return redirect(url_for("campaigns.settings"))
    status = 400 if request.method == "POST" else 200
    return render_template("manage/campaign/settings.html", form=form), status
