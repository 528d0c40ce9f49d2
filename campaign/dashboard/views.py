"""/manage: the organizer's landing page."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext
from flask_login import current_user, login_required

from campaign.campaigns.services import current_campaign
from campaign.core.timeutil import days_until, to_local, utcnow
from campaign.core.urls import page_number
from campaign.dashboard import services
from campaign.dashboard.chart import bar_chart
from campaign.extensions import db
from campaign.mail.views import health_context
from campaign.organizers.access import visible_event_ids

bp = Blueprint("dashboard", __name__, url_prefix="/manage")


@bp.get("/")
@login_required
def index() -> str:
    """The organizer's landing page: days to go, their events, sign-ups, mail health."""
    campaign = current_campaign()
    now = utcnow()
    counts: dict[str, int] = {}
    upcoming: list = []
    days_left = None
    extra: dict[str, object] = {}
    if campaign is not None:
        counts = services.event_counts(current_user, campaign.id, now)
        upcoming = services.next_events(current_user, campaign.id, now)
        days_left = days_until(campaign.day, to_local(now, campaign.timezone).date())
        per_day = services.registrations_per_day(current_user, campaign.id, now)
        totals_page = db.paginate(
            services.totals_query(current_user, campaign.id, now),
            page=page_number(),
            per_page=services.TOTALS_PER_PAGE,
            error_out=False,
        )
        extra = {
            "chart": bar_chart(per_day, gettext("New registrations per day, last 30 days (UTC)")),
            "registrations_30d": sum(n for _, n in per_day),
            "totals_page": totals_page,
            "totals": services.totals_for(totals_page.items),
            "failed_mail": services.failed_mail_count(current_user, campaign.id),
            "referrers": services.top_referrers(current_user, campaign.id),
        }
    return render_template(
        "manage/dashboard.html",
        **health_context(visible_event_ids(current_user)),
        counts=counts,
        upcoming=upcoming,
        days_left=days_left,
        now=now,
        **extra,
    )
