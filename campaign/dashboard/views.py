"""/manage: the organizer's landing page."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from campaign.campaigns.services import current_campaign
from campaign.core.timeutil import days_until, to_local, utcnow
from campaign.dashboard import services

bp = Blueprint("dashboard", __name__, url_prefix="/manage")


@bp.get("/")
@login_required
def index() -> str:
    campaign = current_campaign()
    now = utcnow()
    counts: dict[str, int] = {}
    upcoming: list = []
    days_left = None
    if campaign is not None:
        counts = services.event_counts(current_user, campaign.id, now)
        upcoming = services.next_events(current_user, campaign.id, now)
        days_left = days_until(campaign.day, to_local(now, campaign.timezone).date())
    return render_template(
        "manage/dashboard.html", counts=counts, upcoming=upcoming, days_left=days_left, now=now
    )
