"""/manage/events/<id>/reminders: what will go out when, and the settings."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from campaign.core.timeutil import format_local, utcnow
from campaign.events.models import Event
from campaign.extensions import db
from campaign.organizers.access import organizer_event
from campaign.reminders import services
from campaign.reminders.forms import ReminderSettingsForm
from campaign.reminders.jobs import reminder_policy

bp = Blueprint("reminders", __name__, url_prefix="/manage/events/<int:event_id>/reminders")


@bp.route("", methods=["GET", "POST"])
@organizer_event
def index(event: Event) -> ResponseReturnValue:
    """One event's reminders: what goes out when (and what did), and their settings."""
    form = ReminderSettingsForm()
    if request.method == "GET":
        form.is_reminders_enabled.data = event.is_reminders_enabled
        form.is_thank_you_enabled.data = event.is_thank_you_enabled
        form.offsets.data = services.format_offsets(event.reminder_offsets or [])
    elif form.validate_on_submit():
        try:
            offsets = services.parse_offsets(form.offsets.data or "")
        except ValueError as exc:
            form.offsets.errors = [str(exc)]
        else:
            event.reminder_offsets = offsets
            event.is_reminders_enabled = bool(form.is_reminders_enabled.data)
            event.is_thank_you_enabled = bool(form.is_thank_you_enabled.data)
            db.session.commit()
            flash(gettext("Reminder settings saved."), "success")
            return redirect(url_for("reminders.index", event_id=event.id), 303)
    elif "csrf_token" in form.errors:
        abort(400)
    now = utcnow()
    status = 400 if request.method == "POST" else 200
    return (
        render_template(
            "manage/reminders/index.html",
            event=event,
            form=form,
            schedule=services.schedule_for(event, now, reminder_policy()),
            format_local=format_local,
            now=now,
        ),
        status,
    )
