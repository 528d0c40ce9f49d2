"""/manage/proposals: the review queue (admins and the organizers they allow), the
decision on one proposal, the admin's hosting settings; and /manage/events/<id>/host, an
event's host with their history and the link's revoke and re-send buttons."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from campaign.campaigns.services import current_campaign
from campaign.core.forms import ToggleForm
from campaign.core.timeutil import utcnow
from campaign.core.urls import page_number
from campaign.events.models import Event
from campaign.extensions import db
from campaign.hosting import mails
from campaign.hosting.forms import ApproveForm, ChangesForm, DeclineForm, SettingsForm
from campaign.hosting.models import STATUS_LABELS, STATUS_UNCONFIRMED, HostProposal
from campaign.hosting.services import history, links, review, rules
from campaign.organizers.access import admin_required, organizer_event
from campaign.organizers.models import Organizer

bp = Blueprint("hosting_manage", __name__, url_prefix="/manage")

QUEUE_TABS = [(s, label) for s, label in STATUS_LABELS.items() if s != STATUS_UNCONFIRMED]


@bp.before_request
@login_required
def _require_login() -> None:
    """Every route here needs a signed-in organizer."""
    g.campaign = current_campaign()


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    """may_review_proposals() for the organizer navigation, waiting_proposals() for the
    dashboard, host_of(event) for an event's page."""

    def may_review_proposals() -> bool:
        user = current_user
        return bool(user and user.is_authenticated and rules.may_review(user))

    def waiting_proposals() -> int:
        campaign = g.get("campaign")
        return rules.waiting_count(campaign.id) if campaign is not None else 0

    return {
        "may_review_proposals": may_review_proposals,
        "waiting_proposals": waiting_proposals,
        "host_of": _host_of,
    }


def _host_of(event: Event) -> HostProposal | None:
    return history.proposal_for_event(event.id)


def _reviewer() -> int:
    """The campaign id, when the signed-in organizer may review; 404 for anyone else."""
    if g.campaign is None or not rules.may_review(current_user):
        abort(404)
    return int(g.campaign.id)


def _proposal(proposal_id: int) -> HostProposal:
    """A confirmed proposal of this campaign; unconfirmed ones are not for review yet."""
    campaign_id = _reviewer()
    proposal = db.session.get(HostProposal, proposal_id)
    if (
        proposal is None
        or proposal.campaign_id != campaign_id
        or proposal.status == STATUS_UNCONFIRMED
    ):
        abort(404)
    return proposal


@bp.get("/proposals")
def queue() -> str:
    """Proposals by state, the waiting ones first and oldest first."""
    campaign_id = _reviewer()
    status = request.args.get("status", "waiting")
    if status not in STATUS_LABELS or status == STATUS_UNCONFIRMED:
        status = "waiting"
    pagination = db.paginate(
        review.queue_query(campaign_id, status), page=page_number(), per_page=25, error_out=False
    )
    return render_template(
        "manage/proposals/index.html",
        pagination=pagination,
        status=status,
        tabs=QUEUE_TABS,
        waiting=rules.waiting_count(campaign_id),
    )


def _organizer_choices() -> list[tuple[int, str]]:
    organizers = db.session.scalars(
        select(Organizer)
        .where(Organizer.is_enabled.is_(True), Organizer.password_hash.is_not(None))
        .order_by(Organizer.name)
    )
    return [(o.id, f"{o.name} ({o.email})") for o in organizers]


def _show(proposal: HostProposal, status: int = 200, **forms: Any) -> ResponseReturnValue:
    approve = forms.get("approve") or ApproveForm(formdata=None)
    approve.owner.choices = _organizer_choices()
    if approve.owner.data is None:
        approve.owner.data = current_user.id
    return (
        render_template(
            "manage/proposals/show.html",
            proposal=proposal,
            history=history.history(proposal.id),
            host_mail=mails.mail_for(proposal),
            approve=approve,
            changes=forms.get("changes") or ChangesForm(formdata=None),
            decline=forms.get("decline") or DeclineForm(formdata=None),
        ),
        status,
    )


@bp.get("/proposals/<int:proposal_id>")
def show(proposal_id: int) -> ResponseReturnValue:
    """One proposal: its details, the host's note, the history and the three decisions."""
    return _show(_proposal(proposal_id))


def _decided(proposal: HostProposal, message: str) -> Response:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("hosting_manage.show", proposal_id=proposal.id), 303)


@bp.post("/proposals/<int:proposal_id>/approve")
def approve(proposal_id: int) -> ResponseReturnValue:
    """Publish the proposal as an event (owned by the chosen organizer); the host is mailed."""
    proposal = _proposal(proposal_id)
    form = ApproveForm()
    form.owner.choices = _organizer_choices()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _show(proposal, 400, approve=form)
    owner = db.session.get(Organizer, form.owner.data)
    try:
        event = review.approve(proposal, current_user, owner, utcnow())
    except rules.HostingError as exc:
        db.session.rollback()
        form.owner.errors = [str(exc)]
        return _show(proposal, 409, approve=form)
    return _decided(
        proposal,
        gettext(
            "Approved: “%(title)s” is on the public site. The host is emailed.", title=event.title
        ),
    )


@bp.post("/proposals/<int:proposal_id>/changes")
def request_changes(proposal_id: int) -> ResponseReturnValue:
    """Send the proposal back to the host with a message."""
    return _decide_with_message(
        proposal_id,
        ChangesForm,
        "message",
        review.request_changes,
        gettext("Sent back to the host with your message."),
    )


@bp.post("/proposals/<int:proposal_id>/decline")
def decline(proposal_id: int) -> ResponseReturnValue:
    """Decline the proposal with a reason; it never becomes public."""
    return _decide_with_message(
        proposal_id,
        DeclineForm,
        "reason",
        review.decline,
        gettext("Declined. The host is emailed your reason."),
    )


def _decide_with_message(
    proposal_id: int,
    form_class: type[ChangesForm] | type[DeclineForm],
    field: str,
    decide: Callable[[HostProposal, Organizer, str, datetime], None],
    done: str,
) -> ResponseReturnValue:
    """A decision the host is told the reason for: the form's text `field` goes to
    `decide`; a refusal is shown on that field, the proposal's page shown again (400)."""
    proposal = _proposal(proposal_id)
    form = form_class()
    text = getattr(form, field)
    if form.validate_on_submit():
        try:
            decide(proposal, current_user, text.data or "", utcnow())
        except rules.HostingError as exc:
            db.session.rollback()
            text.errors = [str(exc)]
        else:
            return _decided(proposal, done)
    elif "csrf_token" in form.errors:
        abort(400)
    forms = {"changes" if isinstance(form, ChangesForm) else "decline": form}
    return _show(proposal, 400, **forms)


@bp.route("/proposals/settings", methods=["GET", "POST"])
@admin_required
def settings() -> ResponseReturnValue:
    """Admins: the most places a hosted event may offer, and who reviews proposals."""
    if g.campaign is None:
        abort(404)
    current = rules.settings_for(g.campaign.id)
    form = SettingsForm()
    organizers = db.session.scalars(
        select(Organizer).where(Organizer.role != "admin").order_by(Organizer.name)
    )
    form.reviewers.choices = [(o.id, f"{o.name} ({o.email})") for o in organizers]
    if request.method == "GET":
        form.capacity_ceiling.data = current.capacity_ceiling
        form.reviewers.data = sorted(rules.reviewer_ids())
    elif form.validate_on_submit():
        try:
            rules.save_settings(g.campaign.id, int(form.capacity_ceiling.data or 0))
            rules.set_reviewers(form.reviewers.data or [], utcnow())
        except rules.HostingError as exc:
            db.session.rollback()
            form.capacity_ceiling.errors = [str(exc)]
        else:
            db.session.commit()
            flash(gettext("Hosting settings saved."), "success")
            return redirect(url_for("hosting_manage.settings"), 303)
    elif "csrf_token" in form.errors:
        abort(400)
    status = 400 if request.method == "POST" else 200
    return render_template("manage/proposals/settings.html", form=form), status


# --- an event's host -----------------------------------------------------------------------


@bp.get("/events/<int:event_id>/host")
@organizer_event
def event_host(event: Event) -> str:
    """Who hosts this event, everything they did, and their link's controls (an event
    organizers made themselves says it has no host)."""
    proposal = history.proposal_for_event(event.id)
    return render_template(
        "manage/proposals/event_host.html",
        event=event,
        proposal=proposal,
        history=history.history(proposal.id) if proposal else [],
        host_mail=mails.mail_for(proposal) if proposal else [],
        action=ToggleForm(),
    )


def _host_action(event: Event, act: Callable[[HostProposal], str]) -> Response:
    """A POST button on the event's host page: act on its proposal, then back there."""
    if not ToggleForm().validate_on_submit():
        abort(400)
    proposal = history.proposal_for_event(event.id)
    if proposal is None:
        flash(gettext("This event has no host."), "error")
    else:
        try:
            message = act(proposal)
        except rules.HostingError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(message, "success")
    return redirect(url_for("hosting_manage.event_host", event_id=event.id), 303)


@bp.post("/events/<int:event_id>/host/revoke")
@organizer_event
def revoke(event: Event) -> Response:
    """Stop the host's link from opening anything."""

    def act(proposal: HostProposal) -> str:
        links.revoke_link(proposal, current_user, utcnow())
        return gettext("The host's link no longer works.")

    return _host_action(event, act)


@bp.post("/events/<int:event_id>/host/new-link")
@organizer_event
def new_link(event: Event) -> Response:
    """Make the host a new link (the old one stops working) and mail it to them."""

    def act(proposal: HostProposal) -> str:
        secret = current_app.config["SECRET_KEY"]
        links.send_new_link(proposal, current_user, utcnow(), secret)
        return gettext("A new link is on its way to the host; the old one no longer works.")

    return _host_action(event, act)
