"""The organizer's outbox (queued, sent, failed with retry) and event broadcasts."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from campaign.campaigns.services import current_campaign
from campaign.core.timeutil import utcnow
from campaign.core.urls import page_number
from campaign.events import services as event_services
from campaign.events.models import Event
from campaign.extensions import db
from campaign.mail import delivery
from campaign.mail import services as mail_services
from campaign.mail.forms import AUDIENCES, BroadcastForm
from campaign.mail.models import OutboxMessage
from campaign.organizers.forms import ToggleForm

bp = Blueprint("mail", __name__, url_prefix="/manage")


@bp.before_request
@login_required
def _require_login() -> None:
    """Every route here needs a signed-in organizer."""


def _visible_event_ids() -> list[int] | None:
    """None for admins (everything), else the organizer's own event ids."""
    if current_user.is_admin:
        return None
    return list(db.session.scalars(select(Event.id).where(Event.organizer_id == current_user.id)))


def _event_or_404(event_id: int) -> Event:
    event = event_services.event_for(current_user, event_id)
    if event is None:
        abort(404)
    return event


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
    )


@bp.get("/outbox")
def outbox() -> str:
    return _render_outbox(None)


@bp.get("/events/<int:event_id>/outbox")
def event_outbox(event_id: int) -> str:
    return _render_outbox(_event_or_404(event_id))


def _retry(ids: list[int]) -> int:
    count = delivery.retry_failed(ids, utcnow())
    db.session.commit()
    return count


@bp.post("/outbox/<int:message_id>/retry")
def retry(message_id: int) -> Response:
    if not ToggleForm().validate_on_submit():
        abort(400)
    row = db.session.get(OutboxMessage, message_id)
    visible = _visible_event_ids()
    if row is None or (visible is not None and row.event_id not in visible):
        abort(404)
    n = _retry([row.id])
    if n:
        flash("Queued again.", "success")
    else:
        flash("Only failed messages can be retried.", "error")
    return redirect(url_for("mail.outbox", status="failed"), 303)


@bp.post("/events/<int:event_id>/outbox/retry-failed")
def retry_event_failed(event_id: int) -> Response:
    event = _event_or_404(event_id)
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
    flash(f"{n} failed {'message' if n == 1 else 'messages'} queued again.", "success")
    return redirect(url_for("mail.event_outbox", event_id=event.id), 303)


@bp.route("/events/<int:event_id>/broadcast", methods=["GET", "POST"])
def broadcast(event_id: int):  # type: ignore[no-untyped-def]
    from campaign.reminders.services import send_broadcast

    event = _event_or_404(event_id)
    form = BroadcastForm()
    if form.validate_on_submit():
        try:
            n = send_broadcast(
                event,
                current_user.id,
                form.audience.data or "confirmed",
                form.subject.data or "",
                form.body.data or "",
                utcnow(),
                current_app.config["SECRET_KEY"],
            )
        except ValueError as exc:
            db.session.rollback()
            form.body.errors = [str(exc)]
        else:
            db.session.commit()
            flash(f"Message queued for {n} {'person' if n == 1 else 'people'}.", "success")
            return redirect(url_for("mail.event_outbox", event_id=event.id), 303)
    status = 400 if request.method == "POST" else 200
    campaign = current_campaign()
    return (
        render_template(
            "manage/mail/broadcast.html",
            event=event,
            form=form,
            audiences=AUDIENCES,
            campaign=campaign,
        ),
        status,
    )
