"""/host: the public proposal form, "check your inbox" and asking for a link again; the
blueprint whose private pages under /host/<token> are routes in views/host.py.

Every private page answers 404 alike for an unknown, another event's or a revoked token.
"""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from campaign.campaigns.services import request_campaign
from campaign.core.forms import bind_errors
from campaign.core.throttle import Limited, counts_own_limits
from campaign.core.timeutil import utcnow
from campaign.extensions import client_address, csrf, db
from campaign.hosting.forms import ProposalForm, ResendForm
from campaign.hosting.services import links, proposals, rules
from campaign.i18n.web import current_locale
from campaign.signups import guard
from campaign.signups.registrant_views import PRIVATE_HEADERS

log = logging.getLogger(__name__)
bp = Blueprint("hosting", __name__)

# The "slug" the proposal form's one-time tokens are made for (no event has a colon).
FORM_SLUG = "host:proposal"


@bp.after_app_request
def _private_host_pages(response: Response) -> Response:
    """Every answer under /host/ (the private pages, and the form's answers) is never
    stored by a cache nor indexed, and its address is not sent to other sites."""
    if request.path.startswith("/host/"):
        response.headers.update(PRIVATE_HEADERS)
    return response


def _campaign_id() -> int:
    campaign = request_campaign()
    if campaign is None:
        abort(404)
    return campaign.id


# --- proposing -----------------------------------------------------------------------------


def _proposal_page(
    form: ProposalForm,
    ceiling: int,
    status: int = 200,
    *,
    second_step: bool = False,
    limited: Limited | None = None,
) -> Response:
    """The form page (fresh, with errors, as a second step, or over a limit)."""
    kind = guard.KIND_FORM if status == 200 and not second_step else guard.KIND_CONFIRM
    form.started.data = guard.form_token(guard.form_keys(), FORM_SLUG, kind)
    body = render_template(
        "hosting/propose.html",
        form=form,
        ceiling=ceiling,
        second_step=second_step,
        limited=limited,
    )
    response = make_response(body, 429 if limited else status)
    response.headers["Cache-Control"] = "no-store"  # its one-time token is this visitor's
    if limited is not None:
        response.headers["Retry-After"] = str(limited.retry_after)
    return response


def _host_details(form: ProposalForm) -> proposals.HostDetails:
    return proposals.HostDetails(
        form.name.data or "", form.email.data or "", form.note.data or "", current_locale()
    )


@bp.route("/host", methods=["GET", "POST"])
@csrf.exempt  # no session: the one-time form token and the origin check instead
@counts_own_limits  # the registration form's limits, answered with the form kept
def propose() -> ResponseReturnValue:
    """Host an event: the form, then "check your inbox" (a confirmation link is mailed)."""
    campaign_id = _campaign_id()
    ceiling = rules.settings_for(campaign_id).capacity_ceiling
    form = ProposalForm(ceiling=ceiling)
    if request.method == "GET":
        form.timezone.data = request_campaign().timezone  # type: ignore[union-attr]
        return _proposal_page(form, ceiling)
    is_valid = form.validate()
    if form.website.data:
        log.info("hosting: dropped a proposal that filled the honeypot")
        return redirect(url_for("hosting.sent"), 303)
    address = client_address()
    limited = guard.address_limited(address)
    if limited is not None:
        return _proposal_page(form, ceiling, limited=limited)
    verdict = guard.public_form_verdict(form.started.data, FORM_SLUG)
    data = form.to_input()
    try:
        cleaned, _, _ = proposals.clean_proposal(_host_details(form), data, ceiling)
    except rules.ProposalInvalid as exc:
        bind_errors(form, exc)
        return _proposal_page(form, ceiling, 400)
    if not is_valid:
        return _proposal_page(form, ceiling, 400)
    if verdict is not None:
        log.info("hosting: asked for a second step (%s)", verdict)
        status = 400 if verdict == guard.CROSS_SITE else 200
        return _proposal_page(form, ceiling, status, second_step=True)
    # The registration form's limits per email address and per client address, shared
    # with sign-ups: proposing and registering draw on one budget of mail a form may cause.
    limited = guard.signup_limited(FORM_SLUG, cleaned.email, address)
    if limited is not None:
        return _proposal_page(form, ceiling, limited=limited)
    proposals.propose(campaign_id, cleaned, data, utcnow(), current_app.config["SECRET_KEY"])
    db.session.commit()
    return redirect(url_for("hosting.sent"), 303)


@bp.get("/host/sent")
def sent() -> str:
    """The page after proposing: the same for everyone, whatever the address."""
    _campaign_id()
    return render_template("hosting/sent.html")


RESEND_SLOT = "host:resend"  # the "slug" of the resend form's one-time tokens


def _resend_page(
    form: ResendForm | None,
    status: int = 200,
    *,
    second_step: bool = False,
    limited: Limited | None = None,
) -> ResponseReturnValue:
    """The form (fresh, with errors, as a second step, or over a limit), or with no form
    "check your inbox"."""
    if form is not None:
        form.started.data = guard.page_token(RESEND_SLOT)
    body = render_template(
        "hosting/resend.html", form=form, second_step=second_step, limited=limited
    )
    if limited is not None:
        return body, 429, {"Retry-After": str(limited.retry_after)}
    return body, status


@bp.route("/host/resend", methods=["GET", "POST"])
@csrf.exempt  # no session: the one-time form token and the origin check instead
@counts_own_limits
def resend() -> ResponseReturnValue:
    """Ask for your host links again: the same answer whether or not the address has any."""
    _campaign_id()
    if request.method == "GET":
        return _resend_page(ResendForm(formdata=None))
    form = ResendForm()
    if not form.validate():
        return _resend_page(form, 400)
    if form.website.data:
        return _resend_page(None)
    verdict = guard.public_form_verdict(form.started.data, RESEND_SLOT)
    if verdict is not None:
        log.info("hosting: asked for a second step to resend links (%s)", verdict)
        return _resend_page(form, 400 if verdict == guard.CROSS_SITE else 200, second_step=True)
    email = (form.email.data or "").strip().lower()
    address = client_address()
    limited = guard.address_limited(address) or guard.signup_limited(RESEND_SLOT, email, address)
    if limited is not None:
        return _resend_page(form, limited=limited)
    links.resend_links(email, utcnow())
    db.session.commit()
    return _resend_page(None)


# The host's private pages are routes of this blueprint (imported to register them).
from campaign.hosting.views import host as _host_pages  # noqa: E402, F401
