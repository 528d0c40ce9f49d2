"""The organizer's event management: the list, new, edit and its translations, preview,
publish, unpublish, cancel and clone (under /manage/events)."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response

from campaign.campaigns.services import current_campaign
from campaign.core.forms import ToggleForm, bind_errors
from campaign.core.timeutil import utcnow
from campaign.core.urls import absolute_url, page_number
from campaign.events import (
    calendar,
    services,
    translation_views,
    translations,
)
from campaign.events.forms import EventForm, EventTranslationForm
from campaign.events.models import Event
from campaign.events.seat_texts import SeatFigures, seat_texts
from campaign.extensions import db
from campaign.i18n.web import current_locale
from campaign.organizers.access import organizer_event, organizers_only
from campaign.signups import guard
from campaign.signups import seats as signup_seats
from campaign.signups.forms import SignupForm

manage_bp = Blueprint("events_manage", __name__, url_prefix="/manage/events")


organizers_only(manage_bp)


@manage_bp.before_request
def _load_campaign() -> None:
    """The campaign every organizer page of events works in (after the sign-in check)."""
    g.campaign = current_campaign()


def _campaign_id() -> int:
    if g.campaign is None:
        abort(404)
    return g.campaign.id


@manage_bp.get("")
def index_manage() -> str:
    """The organizer's events (every event for admins), filtered by status."""
    status = request.args.get("status", "")
    now = utcnow()
    query = services.events_for(current_user, _campaign_id(), now)
    if status in ("draft", "published", "cancelled"):
        query = query.where(Event.status == status)
    page = page_number()
    pagination = db.paginate(query, page=page, per_page=25, error_out=False)
    return render_template(
        "manage/events/index.html", pagination=pagination, status=status, now=now
    )


def _save_form(form: EventForm, event: Event | None) -> Event | None:
    """Validate form and service rules together; on success save and return the event."""
    form_ok = form.validate_on_submit()
    if request.method != "POST":
        return None
    if not form_ok and "csrf_token" in form.errors:
        abort(400)
    data = form.to_input()
    try:
        services.validate(data)
    except services.EventValidationError as exc:
        # One message per field: the service's words are clearer than WTForms'.
        bind_errors(form, exc)
        return None
    if not form_ok:
        return None
    try:
        if event is None:
            event = services.create_event(_campaign_id(), current_user, data)
            message = gettext("Draft saved. Publish it when it is ready.")
        else:
            signup_seats.lock_event(event.id)
            before = services.schedule_and_place(event)
            changed = services.update_event(event, data)
            changes = services.describe_changes(before, services.schedule_and_place(event))
            signup_seats.on_event_updated(event, changed, utcnow(), changes)
            message = gettext("Saved.")
            if changed and event.published_at is not None:
                message = gettext("Saved. The time or place changed: calendar entries are updated.")
    except services.EventError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return None
    db.session.commit()
    flash(message, "success")
    return event


@manage_bp.route("/new", methods=["GET", "POST"])
def new() -> ResponseReturnValue:
    """Create an event: the form, saved as a draft."""
    form = EventForm()
    last_zone = services.last_used_timezone(current_user.id)
    if request.method == "GET":
        form.timezone.data = last_zone or (g.campaign.timezone if g.campaign else "UTC")
    event = _save_form(form, None)
    if event is not None:
        return redirect(url_for("events_manage.show", event_id=event.id))
    status = 400 if request.method == "POST" else 200
    return (
        render_template(
            "manage/events/edit.html", form=form, event=None, zone_from_browser=not last_zone
        ),
        status,
    )


@manage_bp.get("/<int:event_id>")
@organizer_event
def show(event: Event) -> str:
    """One event for its organizer: details, status and the actions on it."""
    return render_template(
        "manage/events/show.html", event=event, action=ToggleForm(), now=utcnow()
    )


@manage_bp.get("/<int:event_id>/preview")
@organizer_event
def preview(event: Event) -> str:
    """The public page of an event as visitors will see it once published (drafts too),
    for its organizers only."""
    now = utcnow()
    counts = signup_seats.seat_counts(event.id)
    seats = SeatFigures(counts["confirmed"], counts["waitlisted"], event.capacity)
    if not event.is_published:
        flash(
            gettext(
                "Preview: this is how the page will look once published. "
                "Only organizers can see it; registration opens when you publish."
            ),
            "warning",
        )
    form = SignupForm(formdata=None)
    form.started.data = guard.form_token(guard.form_keys(), event.slug)
    event_url = absolute_url("events.detail", slug=event.slug)
    return render_template(
        "events/detail.html",
        event=event,
        text=translations.localized(event, current_locale()),
        now=now,
        form=form,
        is_open=not event.is_cancelled and event.starts_at > now,
        seats_left=seats.seats_left,
        waitlisted=seats.waitlisted,
        confirmed=seats.confirmed,
        seat_texts=seat_texts(seats),
        event_url=event_url,
        google_url=calendar.google_calendar_link(event, event_url),
        outlook_url=calendar.outlook_calendar_link(event, event_url),
    )


@manage_bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@organizer_event
def edit(event: Event) -> ResponseReturnValue:
    """Change an event's details (not once it is cancelled)."""
    if event.is_cancelled:
        flash(gettext("A cancelled event cannot be edited."), "error")
        return redirect(url_for("events_manage.show", event_id=event.id))
    form = EventForm()
    if request.method == "GET":
        form.fill_from(event)
    saved = _save_form(form, event)
    if saved is not None:
        return redirect(url_for("events_manage.show", event_id=saved.id))
    status = 400 if request.method == "POST" else 200
    return _edit_page(form, event, status)


def _edit_page(
    form: EventForm, event: Event, status: int, posted: EventTranslationForm | None = None
) -> ResponseReturnValue:
    sections = translation_views.sections(event, posted)
    return (
        render_template(
            "manage/events/edit.html", form=form, event=event, translation_sections=sections
        ),
        status,
    )


@manage_bp.post("/<int:event_id>/translations/<locale>")
@organizer_event
def save_translation(event: Event, locale: str) -> ResponseReturnValue:
    """Add, change or remove the event's text in one other language (edit page)."""
    if event.is_cancelled:
        flash(gettext("A cancelled event cannot be edited."), "error")
        return redirect(url_for("events_manage.show", event_id=event.id))
    posted = translation_views.save(event, locale)
    if posted is None:
        return redirect(url_for("events_manage.edit", event_id=event.id) + "#translations")
    form = EventForm(formdata=None)
    form.fill_from(event)
    return _edit_page(form, event, 400, posted)


def _action(event: Event, action: str) -> Response:
    """Publish, unpublish, cancel or clone event (a POST button), then back to its page."""
    if not ToggleForm().validate_on_submit():
        abort(400)
    try:
        if action == "publish":
            services.publish(event, utcnow())
            message = gettext(
                "Published: the event is on the public site at %(url)s",
                url=absolute_url("events.detail", slug=event.slug),
            )
        elif action == "unpublish":
            services.unpublish(event)
            message = gettext("Unpublished: the event is a draft again.")
        elif action == "cancel":
            signup_seats.lock_event(event.id)
            services.cancel(event, utcnow())
            signup_seats.on_event_cancelled(event, utcnow())
            message = gettext("Cancelled. Registrants are being emailed; the public page says so.")
        else:
            copy = services.clone(event, current_user)
            db.session.commit()
            flash(gettext("Copied as a new draft. Check the dates and details."), "success")
            return redirect(url_for("events_manage.edit", event_id=copy.id))
    except services.EventError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("events_manage.show", event_id=event.id))


@manage_bp.post("/<int:event_id>/publish")
@organizer_event
def publish(event: Event) -> Response:
    """Put a draft on the public site."""
    return _action(event, "publish")


@manage_bp.post("/<int:event_id>/unpublish")
@organizer_event
def unpublish(event: Event) -> Response:
    """Take a published event back to draft."""
    return _action(event, "unpublish")


@manage_bp.post("/<int:event_id>/cancel")
@organizer_event
def cancel(event: Event) -> Response:
    """Cancel an event for good and tell its registrants."""
    return _action(event, "cancel")


@manage_bp.post("/<int:event_id>/clone")
@organizer_event
def clone(event: Event) -> Response:
    """Copy an event as a new draft."""
    return _action(event, "clone")
