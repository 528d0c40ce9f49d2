"""Public event pages and the organizer's event management."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from campaign.campaigns.services import current_campaign, request_campaign
from campaign.core.pagecache import render_cached, row_state
from campaign.core.timeutil import utcnow
from campaign.core.urls import absolute_url, page_number
from campaign.events import calendar, services
from campaign.events.forms import EventForm
from campaign.events.models import Event
from campaign.extensions import db
from campaign.organizers.forms import ToggleForm
from campaign.signups import services as signup_services

bp = Blueprint("events", __name__)
manage_bp = Blueprint("events_manage", __name__, url_prefix="/manage/events")


# --- public -------------------------------------------------------------------------------


@bp.get("/events")
def index() -> str:
    now = utcnow()
    state = services.listing_state(now)
    if state is None:
        abort(404)
    filters = services.ListingFilters(
        city=request.args.get("city", "")[:100],
        region=request.args.get("region", "")[:100],
        online=request.args.get("online") == "1",
    )
    page = page_number()
    per_page = current_app.config["EVENTS_PER_PAGE"]
    consistent = False

    def render() -> str:
        nonlocal consistent
        campaign = request_campaign()
        if campaign is None:  # deactivated a moment ago
            abort(404)
        pagination = db.paginate(
            services.public_events_query(campaign.id, now, filters),
            page=page,
            per_page=per_page,
            error_out=False,
        )
        cities, regions = services.public_places(campaign.id, now)
        # Read last: nothing the page shows changed while it was being read.
        version = services.listing_version(campaign.id, now)
        consistent = (row_state(campaign), version) == state.key
        return render_template(
            "events/index.html",
            pagination=pagination,
            filters=filters,
            cities=cities,
            regions=regions,
        )

    # Rendered once per state of the campaign's events, then served from memory; a copy is
    # kept only if the rows it shows were read in that state.
    return render_cached((filters, page, per_page), state.key, {}, render, keep=lambda: consistent)


@bp.get("/events/<slug>")
def detail(slug: str) -> Response:
    from campaign.signups.views import public_event_page

    return public_event_page(slug)


def _ics_response(body: bytes, filename: str) -> Response:
    response = make_response(body)
    response.mimetype = "text/calendar"
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/events/<slug>/calendar.ics")
def calendar_file(slug: str) -> Response:
    event = services.public_event(slug)
    if event is None:
        abort(404)
    body = calendar.event_calendar(
        event, current_app.config["BASE_URL"], absolute_url("events.detail", slug=event.slug)
    )
    return _ics_response(body, f"{event.slug}.ics")


@bp.get("/calendar.ics")
def calendar_feed() -> Response:
    campaign = current_campaign()
    if campaign is None:
        abort(404)
    events = list(db.session.scalars(services.feed_events_query(campaign.id, utcnow())))
    urls = {e.id: absolute_url("events.detail", slug=e.slug) for e in events}
    body = calendar.feed_calendar(events, current_app.config["BASE_URL"], urls, campaign.name)
    return _ics_response(body, "events.ics")


# --- organizer ----------------------------------------------------------------------------


@manage_bp.before_request
@login_required
def _require_login() -> None:
    """Every route here needs a signed-in organizer."""
    g.campaign = current_campaign()


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def _event_or_404(event_id: int) -> Event:
    event = services.event_for(current_user, event_id)
    if event is None:
        abort(404)
    return event


def _campaign_id() -> int:
    if g.campaign is None:
        abort(404)
    return g.campaign.id


@manage_bp.get("")
def index_manage() -> str:
    status = request.args.get("status", "")
    query = services.events_for(current_user, _campaign_id())
    if status in ("draft", "published", "cancelled"):
        query = query.where(Event.status == status)
    page = page_number()
    pagination = db.paginate(query, page=page, per_page=25, error_out=False)
    return render_template(
        "manage/events/index.html", pagination=pagination, status=status, now=utcnow()
    )


def _save_form(form: EventForm, event: Event | None) -> Event | None:
    """Validate form and service rules together; on success save and return the event."""
    form_ok = form.validate_on_submit()
    if request.method != "POST":
        return None
    if not form_ok and "csrf_token" in form.errors:
        abort(400)
    data = form.to_input()
    errors: dict[str, str] = {}
    try:
        services.validate(data)
    except services.EventValidationError as exc:
        errors = exc.errors
    if errors or not form_ok:
        for name, message in errors.items():
            field = getattr(form, name, None)
            # One message per field: the service's words are clearer than WTForms'.
            if field is not None:
                field.errors = [message]
        return None
    try:
        if event is None:
            event = services.create_event(_campaign_id(), current_user, data)
            message = "Draft saved. Publish it when it is ready."
        else:
            signup_services.lock_event(event.id)
            changed = services.update_event(event, data)
            signup_services.on_event_updated(event, changed, utcnow(), _secret())
            message = "Saved."
            if changed and event.published_at is not None:
                message = "Saved. The time or place changed: calendar entries are updated."
    except services.EventError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return None
    db.session.commit()
    flash(message, "success")
    return event


@manage_bp.route("/new", methods=["GET", "POST"])
def new():  # type: ignore[no-untyped-def]
    form = EventForm()
    if request.method == "GET":
        form.timezone.data = g.campaign.timezone if g.campaign else "UTC"
    event = _save_form(form, None)
    if event is not None:
        return redirect(url_for("events_manage.show", event_id=event.id))
    status = 400 if request.method == "POST" else 200
    return render_template("manage/events/edit.html", form=form, event=None), status


@manage_bp.get("/<int:event_id>")
def show(event_id: int) -> str:
    event = _event_or_404(event_id)
    return render_template(
        "manage/events/show.html", event=event, action=ToggleForm(), now=utcnow()
    )


@manage_bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
def edit(event_id: int):  # type: ignore[no-untyped-def]
    event = _event_or_404(event_id)
    if event.is_cancelled:
        flash("A cancelled event cannot be edited.", "error")
        return redirect(url_for("events_manage.show", event_id=event.id))
    form = EventForm()
    if request.method == "GET":
        form.fill_from(event)
    saved = _save_form(form, event)
    if saved is not None:
        return redirect(url_for("events_manage.show", event_id=saved.id))
    status = 400 if request.method == "POST" else 200
    return render_template("manage/events/edit.html", form=form, event=event), status


def _action(event_id: int, action: str) -> Response:
    event = _event_or_404(event_id)
    if not ToggleForm().validate_on_submit():
        abort(400)
    try:
        if action == "publish":
            services.publish(event, utcnow())
            message = "Published: the event is on the public site."
        elif action == "unpublish":
            services.unpublish(event)
            message = "Unpublished: the event is a draft again."
        elif action == "cancel":
            signup_services.lock_event(event.id)
            services.cancel(event, utcnow())
            signup_services.on_event_cancelled(event, utcnow(), _secret())
            message = "Cancelled. Registrants are being emailed; the public page says so."
        else:
            copy = services.clone(event, current_user)
            db.session.commit()
            flash("Copied as a new draft. Check the dates and details.", "success")
            return redirect(url_for("events_manage.edit", event_id=copy.id))
    except services.EventError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("events_manage.show", event_id=event.id))


@manage_bp.post("/<int:event_id>/publish")
def publish(event_id: int) -> Response:
    return _action(event_id, "publish")


@manage_bp.post("/<int:event_id>/unpublish")
def unpublish(event_id: int) -> Response:
    return _action(event_id, "unpublish")


@manage_bp.post("/<int:event_id>/cancel")
def cancel(event_id: int) -> Response:
    return _action(event_id, "cancel")


@manage_bp.post("/<int:event_id>/clone")
def clone(event_id: int) -> Response:
    return _action(event_id, "clone")
