"""/manage/events/<id>/attendees: the organizer's view of who is coming."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_required

from campaign.attendees import services
from campaign.core.timeutil import utcnow
from campaign.core.urls import page_number
from campaign.events import services as event_services
from campaign.events.models import Event
from campaign.extensions import db
from campaign.organizers.forms import ToggleForm
from campaign.signups import services as signup_services
from campaign.signups.models import Registration

bp = Blueprint("attendees", __name__, url_prefix="/manage/events/<int:event_id>/attendees")


@bp.before_request
@login_required
def _require_login() -> None:
    """Every route here needs a signed-in organizer."""


def _event_or_404(event_id: int) -> Event:
    event = event_services.event_for(current_user, event_id)
    if event is None:
        abort(404)
    return event


def _registration_or_404(event: Event, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id or registration.is_anonymised:
        abort(404)
    return registration


@bp.get("")
def index(event_id: int) -> str:
    event = _event_or_404(event_id)
    search = request.args.get("q", "")[:100]
    status = request.args.get("status", "")
    page = page_number()
    pagination = db.paginate(
        services.attendee_query(event.id, search, status),
        page=page,
        per_page=50,
        error_out=False,
    )
    return render_template(
        "manage/attendees/index.html",
        event=event,
        pagination=pagination,
        search=search,
        status=status,
        counts=services.counts(event.id),
        referrers=services.top_referrers(event.id),
        action=ToggleForm(),
    )


@bp.get("/export.csv")  # ".csv" under the prefix gave the dotfile path attendees/.csv
def export_csv(event_id: int) -> Response:
    event = _event_or_404(event_id)
    response = Response(stream_with_context(services.csv_rows(event.id)), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{services.csv_filename(event.slug)}"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _back(event: Event) -> Response:
    args = {k: v for k, v in request.args.items() if k in ("q", "status", "page")}
    return redirect(url_for("attendees.index", event_id=event.id, **args), 303)


@bp.post("/<int:registration_id>/check-in")
def check_in(event_id: int, registration_id: int) -> Response:
    event = _event_or_404(event_id)
    registration = _registration_or_404(event, registration_id)
    if not ToggleForm().validate_on_submit():
        abort(400)
    checked = request.form.get("checked_in") == "1"
    try:
        signup_services.set_checked_in(registration, checked, utcnow())
    except signup_services.SignupError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
    return _back(event)


@bp.post("/<int:registration_id>/promote")
def promote(event_id: int, registration_id: int) -> Response:
    event = _event_or_404(event_id)
    registration = _registration_or_404(event, registration_id)
    if not ToggleForm().validate_on_submit():
        abort(400)
    try:
        signup_services.promote_one(registration, utcnow(), current_app.config["SECRET_KEY"])
    except signup_services.SignupError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"{registration.name} has a place now and has been emailed.", "success")
    return _back(event)
