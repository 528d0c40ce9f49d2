"""The public home page and the campaign settings page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from campaign.campaigns import services
from campaign.campaigns.forms import CampaignSettingsForm
from campaign.core.timeutil import days_until, to_local, utcnow
from campaign.events import services as event_services
from campaign.extensions import db
from campaign.organizers.views import admin_required

bp = Blueprint("campaigns", __name__)


@bp.get("/")
def home() -> str:
    campaign = services.current_campaign()
    now = utcnow()
    upcoming: list = []
    totals = {"events": 0, "cities": 0, "online": 0}
    days_left = None
    if campaign is not None:
        upcoming = list(
            db.session.scalars(
                event_services.public_events_query(
                    campaign.id, now, event_services.ListingFilters()
                ).limit(6)
            )
        )
        totals = event_services.public_totals(campaign.id, now)
        days_left = days_until(campaign.day, to_local(now, campaign.timezone).date())
    return render_template(
        "campaigns/home.html", upcoming=upcoming, totals=totals, days_left=days_left
    )


@bp.route("/manage/settings", methods=["GET", "POST"])
@admin_required
def settings():  # type: ignore[no-untyped-def]
    campaign = services.current_campaign()
    if campaign is None:
        abort(404)
    form = CampaignSettingsForm(obj=campaign)
    if form.validate_on_submit():
        try:
            services.update_settings(campaign, form.to_settings())
        except services.CampaignValidationError as exc:
            db.session.rollback()
            for name, message in exc.errors.items():
                getattr(form, name).errors = [message]
        else:
            db.session.commit()
            flash("Campaign settings saved.", "success")
            return redirect(url_for("campaigns.settings"))
    status = 400 if request.method == "POST" else 200
    return render_template("manage/campaign/settings.html", form=form), status
