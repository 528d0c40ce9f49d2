"""/manage/events/<id>/attendees: the organizer's view of who is coming."""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from werkzeug.wrappers import Response as WerkzeugResponse

from campaign.attendees import checkin, services
from campaign.attendees.forms import (
    AttendeeFilterForm,
    CheckInCodeForm,
    CheckInForm,
    WalkInForm,
    list_args,
)
from campaign.core.forms import ToggleForm, bind_errors
from campaign.core.timeutil import format_local, utcnow
from campaign.core.tokens import secret_keys
from campaign.core.urls import page_number
from campaign.events.models import Event
from campaign.extensions import db
from campaign.organizers.access import organizer_event
from campaign.signups import seats as signup_seats
from campaign.signups import services as signup_services
from campaign.signups.models import Registration

bp = Blueprint("attendees", __name__, url_prefix="/manage/events/<int:event_id>/attendees")


def _registration_or_404(event: Event, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id or registration.is_anonymised:
        abort(404)
    return registration


@bp.get("")
@organizer_event
def index(event: Event) -> str:
    """Who is coming to one event: search, filter by status, check in, promote, export."""
    return _render_index(event, WalkInForm(formdata=None))


def _render_index(event: Event, walk_in: WalkInForm) -> str:
    filters = AttendeeFilterForm(request.args)
    search, status = filters.search, filters.status_filter
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
        anonymised=services.anonymised_count(event.id),
        referrers=services.top_referrers(event.id),
        action=ToggleForm(),
        walk_in=walk_in,
        format_local=format_local,
    )


@bp.get("/export.csv")  # ".csv" under the prefix gave the dotfile path attendees/.csv
@organizer_event
def export_csv(event: Event) -> Response:
    """The event's attendees as a CSV file for spreadsheets, streamed."""
    response = Response(stream_with_context(services.csv_rows(event.id)), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{services.csv_filename(event.slug)}"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _back(event: Event) -> WerkzeugResponse:
    """Back to the attendee list, with its search, filter and page."""
    return redirect(url_for("attendees.index", event_id=event.id, **list_args(request.args)), 303)


def check_in_from_form(check_in: Callable[[bool], None]) -> bool | None:
    """The check-in button's POST, on the organizer's list and the host's alike: 400 for a
    form that does not validate, else `check_in(True)` to mark the person as arrived or
    `check_in(False)` to undo it, committed; a refusal (SignupError) is rolled back and
    shown. Returns whether it was a check-in, or None when it was refused."""
    form = CheckInForm()
    if not form.validate_on_submit():
        abort(400)
    checked = form.is_checking_in
    try:
        check_in(checked)
    except signup_services.SignupError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return None
    db.session.commit()
    return checked


@bp.post("/<int:registration_id>/check-in")
@organizer_event
def check_in(event: Event, registration_id: int) -> WerkzeugResponse:
    """Mark a confirmed attendee as arrived, or undo it (a POST button)."""
    registration = _registration_or_404(event, registration_id)
    now = utcnow()
    checked = check_in_from_form(
        lambda arrived: signup_seats.set_checked_in(registration, arrived, now)
    )
    warning = services.check_in_warning(event, now) if checked else None
    if warning:
        flash(warning, "warning")
    return _back(event)


@bp.post("/<int:registration_id>/promote")
@organizer_event
def promote(event: Event, registration_id: int) -> WerkzeugResponse:
    """Give a waitlisted person a place, if one is free, and email them (a POST button)."""
    registration = _registration_or_404(event, registration_id)
    if not ToggleForm().validate_on_submit():
        abort(400)
    try:
        signup_seats.promote_one(registration, utcnow())
    except signup_services.SignupError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(
            gettext("%(name)s has a place now and has been emailed.", name=registration.name),
            "success",
        )
    return _back(event)


@bp.post("/walk-in")
@organizer_event
def walk_in(event: Event) -> ResponseReturnValue:
    """Add someone at the door by hand: a confirmed place, checked in now."""
    form = WalkInForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _render_index(event, form), 400
    now = utcnow()
    try:
        added = checkin.add_walk_in(
            event,
            form.name.data or "",
            form.email.data or "",
            now,
            current_app.config["SECRET_KEY"],
        )
    except signup_services.InvalidSignup as exc:
        db.session.rollback()
        bind_errors(form, exc)
        return _render_index(event, form), 400
    except checkin.WalkInError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back(event)
    db.session.commit()
    registration = db.session.get(Registration, added.registration_id)
    assert registration is not None
    if added.is_new:
        flash(gettext("%(name)s is added and checked in.", name=registration.name), "success")
    else:
        flash(
            gettext("%(name)s was already registered: now checked in.", name=registration.name),
            "success",
        )
    if added.is_over_capacity:
        flash(
            gettext("The event is now over its capacity of %(capacity)s.", capacity=event.capacity),
            "warning",
        )
    warning = services.check_in_warning(event, now)
    if warning:
        flash(warning, "warning")
    return _back(event)


CAMERA_POLICY = "camera=(self), microphone=(), geolocation=()"


@bp.route("/check-in", methods=["GET", "POST"])
@organizer_event
def check_in_page(event: Event) -> WerkzeugResponse:
    """The door: scan a QR code (or type the code) and check that person in (the button
    posts back here). One rule for both methods, so an id out of range is a 404 for each."""
    if request.method == "POST":
        return _check_in_by_code(event)
    typed = request.args.get("code", "")
    code = checkin.read_code(typed)
    found = checkin.find_by_code(event.id, code, secret_keys()) if code else None
    response = make_response(
        render_template(
            "manage/attendees/check_in.html",
            event=event,
            typed=typed[:100],
            code=code,
            found=found,
            form=CheckInCodeForm(),
            counts=services.counts(event.id),
            warning=services.check_in_warning(event, utcnow()),
            format_local=format_local,
        ),
        404 if typed and found is None else 200,
    )
    response.headers["Permissions-Policy"] = CAMERA_POLICY
    return response


def _check_in_by_code(event: Event) -> WerkzeugResponse:
    """Check in the person whose code was scanned or typed (a POST button)."""
    form = CheckInCodeForm()
    if not form.validate_on_submit():
        abort(400)
    found = checkin.find_by_code(event.id, form.code.data or "", secret_keys())
    if found is None:
        flash(gettext("No registration for this event has that code."), "error")
        return redirect(url_for("attendees.check_in_page", event_id=event.id), 303)
    now = utcnow()
    if found.checked_in_at is not None and found.is_confirmed:
        flash(gettext("%(name)s was already checked in.", name=found.name), "success")
    else:
        try:
            signup_seats.set_checked_in(found, True, now)
        except signup_services.SignupError as exc:
            db.session.rollback()
            flash(f"{found.name}: {exc}", "error")
            return redirect(url_for("attendees.check_in_page", event_id=event.id), 303)
        db.session.commit()
        flash(gettext("%(name)s is checked in.", name=found.name), "success")
        warning = services.check_in_warning(event, now)
        if warning:
            flash(warning, "warning")
    return redirect(url_for("attendees.check_in_page", event_id=event.id), 303)
