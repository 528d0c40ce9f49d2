"""The organizer's outbox (queued, sent, failed with retry) and event broadcasts."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from campaign.campaigns.services import current_campaign
from campaign.core.forms import ToggleForm
from campaign.core.security import CSP
from campaign.core.timeutil import utcnow
from campaign.core.urls import page_number
from campaign.events.models import Event
from campaign.extensions import db
from campaign.mail import services as mail_services
from campaign.mail.forms import AUDIENCES, BroadcastForm
from campaign.mail.health import delivery_health, describe_age, stuck_after
from campaign.mail.models import OutboxMessage
from campaign.organizers import access
from campaign.organizers.access import organizer_event

bp = Blueprint("mail", __name__, url_prefix="/manage")
access.organizers_only(bp)


def _visible_event_ids() -> list[int] | None:
    """None for admins (everything), else the organizer's own event ids."""
    query = access.visible_event_ids(current_user)
    return None if query is None else list(db.session.scalars(query))


def _render_outbox(event: Event | None) -> str:
    status = request.args.get("status", "")
    page = page_number()
    visible = _visible_event_ids()
    event_id = event.id if event else None
    pagination = db.paginate(
        mail_services.outbox_query(visible, status, event_id),
        page=page,
        per_page=50,
        error_out=False,
    )
    return render_template(
        "manage/mail/outbox.html",
        event=event,
        pagination=pagination,
        status=status,
        counts=mail_services.outbox_counts(visible, event_id),
        action=ToggleForm(),
        **health_context(visible if event is None else [event.id]),
    )


def health_context(event_ids: Any) -> dict[str, Any]:
    """What templates/manage/mail/_health.html needs, for all mail (None) or for the mail
    of some events (ids, or a query of ids)."""
    return {
        "mail_health": delivery_health(utcnow(), stuck_after(current_app.config), event_ids),
        "describe_age": describe_age,
    }


@bp.get("/outbox")
def outbox() -> str:
    """Every message to the organizer's registrants: queued, sent, failed (with retry)."""
    return _render_outbox(None)


@bp.get("/events/<int:event_id>/outbox")
@organizer_event
def event_outbox(event: Event) -> str:
    """The outbox of one event."""
    return _render_outbox(event)


def _retry(ids: list[int]) -> int:
    count = mail_services.retry_failed(ids, utcnow())
    db.session.commit()
    return count


def _visible_message(message_id: int) -> OutboxMessage:
    """The message, if it is about one of the organizer's events (any, for admins)."""
    row = db.session.get(OutboxMessage, message_id)
    visible = _visible_event_ids()
    if row is None or (visible is not None and row.event_id not in visible):
        abort(404)
    return row


@bp.get("/outbox/<int:message_id>")
def message(message_id: int) -> str:
    """One message: subject, recipient, status and history, and its text part (the
    registrant's own manage and unsubscribe links hidden)."""
    row = _visible_message(message_id)
    event = db.session.get(Event, row.event_id) if row.event_id else None
    draft = None
    if row.subject is None and row.status == "queued":
        rendered = mail_services.draft_of(row)
        draft = (rendered.subject, rendered.text) if rendered else None
        db.session.rollback()  # rendering is only looked at here, never kept
        row = _visible_message(message_id)
    return render_template(
        "manage/mail/message.html",
        m=row,
        event=event,
        draft=draft,
        text=mail_services.hide_personal_links(draft[1] if draft else row.text_body or ""),
        action=ToggleForm(),
    )


@bp.post("/outbox/<int:message_id>/retry")
def retry(message_id: int) -> Response:
    """Queue one failed message again (a POST button)."""
    if not ToggleForm().validate_on_submit():
        abort(400)
    row = _visible_message(message_id)
    n = _retry([row.id])
    if n:
        flash(gettext("Queued again."), "success")
    else:
        flash(gettext("Only failed messages can be retried."), "error")
    return redirect(url_for("mail.outbox", status="failed"), 303)


@bp.post("/events/<int:event_id>/outbox/retry-failed")
@organizer_event
def retry_event_failed(event: Event) -> Response:
    """Queue every failed message of one event again (a POST button)."""
    if not ToggleForm().validate_on_submit():
        abort(400)
    ids = list(
        db.session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.event_id == event.id, OutboxMessage.status == "failed"
            )
        )
    )
    n = _retry(ids)
    flash(
        ngettext(
            "%(num)s failed message queued again.", "%(num)s failed messages queued again.", n
        ),
        "success",
    )
    return redirect(url_for("mail.event_outbox", event_id=event.id), 303)


# The broadcast page shows the HTML part in a sandboxed srcdoc frame, which inherits this
# page's policy: mail HTML is styled inline, so only this page allows inline styles.
PREVIEW_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


@bp.route("/events/<int:event_id>/broadcast", methods=["GET", "POST"])
@organizer_event
def broadcast(event: Event) -> ResponseReturnValue:
    """Write a message to one event's registrants (all confirmed, waitlisted, or both):
    preview it as a recipient sees it, send a test copy to yourself, then send it."""
    from campaign.reminders import broadcasts
    from campaign.reminders.mails import preview_broadcast
    from campaign.reminders.services import send_broadcast

    form = BroadcastForm()
    action = request.form.get("action", "preview")
    preview = None
    audience = form.audience.data or "confirmed"
    if form.validate_on_submit():
        subject, body = form.subject.data or "", form.body.data or ""
        try:
            if action == "send":
                n = send_broadcast(event, current_user.id, audience, subject, body, utcnow())
            else:
                subject, body = broadcasts.clean_message(audience, subject, body)
                if action == "test":
                    broadcasts.queue_test(
                        event, current_user.email, audience, subject, body, utcnow()
                    )
                name = broadcasts.sample_name(event.id, audience)
                preview = preview_broadcast(event, subject, body, name)
        except ValueError as exc:
            db.session.rollback()
            form.body.errors = [str(exc)]
        else:
            db.session.commit()
            if action == "send":
                flash(
                    ngettext(
                        "Message queued for %(num)s person.",
                        "Message queued for %(num)s people.",
                        n,
                    ),
                    "success",
                )
                return redirect(url_for("mail.event_outbox", event_id=event.id), 303)
            if action == "test":
                flash(
                    gettext(
                        "A test copy is on its way to %(email)s. "
                        "It shows what the first recipient below will get.",
                        email=current_user.email,
                    ),
                    "success",
                )
    elif "csrf_token" in form.errors:
        abort(400)
    status = 400 if request.method == "POST" and preview is None else 200
    response = make_response(
        render_template(
            "manage/mail/broadcast.html",
            event=event,
            form=form,
            audiences=AUDIENCES,
            counts=broadcasts.audience_counts(event.id),
            audience=audience,
            preview=preview,
            campaign=current_campaign(),
        ),
        status,
    )
    if preview is not None:
        response.headers["Content-Security-Policy"] = PREVIEW_CSP
    return response
