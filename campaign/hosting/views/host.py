"""The host's private pages under /host/<token>: confirm, the proposal and its edit or
withdrawal, and for an approved event its attendees, their export and check-in, a
message to them, and cancelling it. Routes on the "hosting" blueprint (views/public.py).

Every page answers 404 alike for an unknown, another event's or a revoked token.
"""

from __future__ import annotations

from flask import (
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext
from werkzeug.wrappers import Response as WerkzeugResponse

from campaign.attendees import services as attendee_services
from campaign.attendees.forms import AttendeeFilterForm, list_args
from campaign.attendees.views import check_in_from_form
from campaign.core.forms import ToggleForm, bind_errors
from campaign.core.throttle import Check
from campaign.core.timeutil import utcnow
from campaign.core.urls import page_number
from campaign.events import services as event_services
from campaign.extensions import db, throttle
from campaign.hosting.forms import HostEventForm, ProposalEditForm
from campaign.hosting.models import HostProposal
from campaign.hosting.services import hosted, links, proposals, rules
from campaign.hosting.views.public import bp
from campaign.mail.forms import AUDIENCES, BroadcastForm

# A host's messages to their registrants: a few a day is plenty, a loop is not.
MESSAGE_RATE_LIMIT = "3 per hour; 10 per day"


def _host(token: str) -> HostProposal:
    """The proposal the link opens, or the "not valid" page (404)."""
    proposal = links.find_by_token(token)
    if proposal is None:
        abort(make_response(render_template("hosting/invalid.html"), 404))
    return proposal


def _approved(token: str) -> HostProposal:
    """The proposal of a live hosted event, or 404 (not approved, or the event is gone)."""
    proposal = _host(token)
    if proposal.status != "approved" or proposal.event is None:
        abort(make_response(render_template("hosting/invalid.html"), 404))
    return proposal


@bp.get("/host/<token>")
def home(token: str) -> str:
    """The host's page: their proposal's state, or their event and what they can do."""
    proposal = _host(token)
    event = proposal.event if proposal.status == "approved" else None
    counts = attendee_services.counts(event.id) if event else None
    return render_template(
        "hosting/home.html",
        proposal=proposal,
        event=event,
        counts=counts,
        token=token,
        action=ToggleForm(),
        now=utcnow(),
    )


@bp.post("/host/<token>/confirm")
def confirm(token: str) -> WerkzeugResponse:
    """Confirm the host's email (a POST button: a mail scanner opening the link changes
    nothing): the proposal joins the review queue."""
    proposal = _host(token)
    if not ToggleForm().validate_on_submit():
        abort(400)
    if proposals.confirm_email(proposal, utcnow()):
        db.session.commit()
        flash(
            gettext(
                "Thank you: your proposal is with the campaign team. "
                "We'll email you their decision."
            ),
            "success",
        )
    return redirect(url_for("hosting.home", token=token), 303)


@bp.route("/host/<token>/edit", methods=["GET", "POST"])
def edit(token: str) -> ResponseReturnValue:
    """Change the proposal (while it is with the host) or the approved event's details."""
    proposal = _host(token)
    ceiling = rules.settings_for(proposal.campaign_id).capacity_ceiling
    is_event = proposal.status == "approved" and proposal.event is not None
    if not is_event and not proposal.is_editable_by_host:
        abort(make_response(render_template("hosting/invalid.html"), 404))
    if is_event and proposal.event is not None and proposal.event.is_cancelled:
        flash(gettext("A cancelled event cannot be edited."), "error")
        return redirect(url_for("hosting.home", token=token), 303)
    form: HostEventForm = (
        HostEventForm(ceiling=ceiling) if is_event else ProposalEditForm(ceiling=ceiling)
    )
    if request.method == "GET":
        if is_event and proposal.event is not None:
            form.fill_from(proposal.event)
        else:
            form.fill_from(proposal)  # type: ignore[arg-type]
        return render_template("hosting/edit.html", form=form, proposal=proposal, token=token)
    is_valid = form.validate_on_submit()
    if not is_valid and "csrf_token" in form.errors:
        abort(400)
    data = form.to_input()
    try:
        if is_event:
            event_services.validate(data)
            if not is_valid:
                raise rules.ProposalInvalid({})
            changed = hosted.host_update_event(proposal, data, utcnow())
            message = (
                gettext("Saved. Registrants are emailed the new time or place.")
                if changed
                else gettext("Saved.")
            )
        else:
            note = form.note.data if isinstance(form, ProposalEditForm) else ""
            note = note or ""
            proposals.clean_proposal(
                proposals.HostDetails(proposal.host_name, proposal.host_email, note), data, ceiling
            )
            if not is_valid:
                raise rules.ProposalInvalid({})
            was_changes = proposal.status == "changes"
            proposals.host_edit_proposal(proposal, note, data, utcnow())
            message = (
                gettext("Sent again to the campaign team.")
                if was_changes
                else gettext("Proposal saved.")
            )
    except (rules.ProposalInvalid, event_services.EventValidationError) as exc:
        db.session.rollback()
        bind_errors(form, exc)
        return render_template("hosting/edit.html", form=form, proposal=proposal, token=token), 400
    except (rules.HostingError, event_services.EventError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("hosting.home", token=token), 303)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("hosting.home", token=token), 303)


@bp.post("/host/<token>/withdraw")
def withdraw(token: str) -> WerkzeugResponse:
    """Take back a proposal that is not decided yet."""
    proposal = _host(token)
    if not ToggleForm().validate_on_submit():
        abort(400)
    try:
        proposals.withdraw(proposal, utcnow())
    except rules.HostingError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(gettext("Your proposal is withdrawn."), "success")
    return redirect(url_for("hosting.home", token=token), 303)


@bp.get("/host/<token>/attendees")
def attendees(token: str) -> str:
    """Who is coming to the host's event: search, filter, check in, export."""
    proposal = _approved(token)
    event = proposal.event
    assert event is not None
    filters = AttendeeFilterForm(request.args)
    pagination = db.paginate(
        attendee_services.attendee_query(event.id, filters.search, filters.status_filter),
        page=page_number(),
        per_page=50,
        error_out=False,
    )
    return render_template(
        "hosting/attendees.html",
        proposal=proposal,
        event=event,
        token=token,
        pagination=pagination,
        search=filters.search,
        status=filters.status_filter,
        counts=attendee_services.counts(event.id),
        action=ToggleForm(),
    )


@bp.get("/host/<token>/attendees/export.csv")
def export_csv(token: str) -> Response:
    """The host's attendees as CSV (the organizers' export, the same columns)."""
    proposal = _approved(token)
    event = proposal.event
    assert event is not None
    hosted.host_exported(proposal, utcnow())
    db.session.commit()
    response = Response(
        stream_with_context(attendee_services.csv_rows(event.id)), mimetype="text/csv"
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{attendee_services.csv_filename(event.slug)}"'
    )
    return response


@bp.post("/host/<token>/attendees/<int:registration_id>/check-in")
def check_in(token: str, registration_id: int) -> WerkzeugResponse:
    """Mark a confirmed attendee as arrived, or undo it."""
    proposal = _approved(token)
    registration = hosted.host_registration(proposal, registration_id)
    if registration is None:
        abort(make_response(render_template("hosting/invalid.html"), 404))
    now = utcnow()
    check_in_from_form(lambda arrived: hosted.host_check_in(proposal, registration, arrived, now))
    return redirect(url_for("hosting.attendees", token=token, **list_args(request.args)), 303)


@bp.route("/host/<token>/message", methods=["GET", "POST"])
def message(token: str) -> ResponseReturnValue:
    """Write to the event's registrants: first a preview, then send (rate-limited)."""
    proposal = _approved(token)
    event = proposal.event
    assert event is not None
    form = BroadcastForm()
    preview = None
    limited = None
    if form.validate_on_submit():
        sending = request.form.get("step") == "send"
        if not sending:
            preview = {
                "subject": " ".join((form.subject.data or "").split()),
                "body": (form.body.data or "").replace("\r\n", "\n").strip(),
                "audience": AUDIENCES.get(form.audience.data or "", ""),
            }
        else:
            limited = throttle.hit(
                Check("message", MESSAGE_RATE_LIMIT, ("host-message", str(event.id)))
            )
            if limited is None:
                try:
                    n = hosted.host_message(
                        proposal,
                        form.audience.data or "confirmed",
                        form.subject.data or "",
                        form.body.data or "",
                        utcnow(),
                    )
                except ValueError as exc:
                    db.session.rollback()
                    form.body.errors = [str(exc)]
                else:
                    db.session.commit()
                    flash(
                        ngettext(
                            "Message queued for %(num)s person.",
                            "Message queued for %(num)s people.",
                            n,
                        ),
                        "success",
                    )
                    return redirect(url_for("hosting.home", token=token), 303)
    elif request.method == "POST" and "csrf_token" in form.errors:
        abort(400)
    status = 429 if limited else (400 if request.method == "POST" and form.errors else 200)
    headers = {"Retry-After": str(limited.retry_after)} if limited else {}
    body = render_template(
        "hosting/message.html",
        proposal=proposal,
        event=event,
        token=token,
        form=form,
        preview=preview,
        limited=limited,
    )
    return body, status, headers


@bp.post("/host/<token>/cancel")
def cancel(token: str) -> WerkzeugResponse:
    """Cancel the host's event for good; registrants are told."""
    proposal = _approved(token)
    if not ToggleForm().validate_on_submit():
        abort(400)
    try:
        told = hosted.host_cancel_event(proposal, utcnow())
    except (rules.HostingError, event_services.EventError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(
            gettext("Your event is cancelled. %(num)s registrants are being emailed.", num=told),
            "success",
        )
    return redirect(url_for("hosting.home", token=token), 303)
