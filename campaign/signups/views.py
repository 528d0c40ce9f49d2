"""Registration (the event page's form), its second step, "check your inbox" and sending
the mail again; the blueprint whose private pages under /r/ (manage, cancel, delete,
export) and one-click unsubscribe are routes in registrant_views.py."""

from __future__ import annotations

import logging
import time
from datetime import datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from campaign.core.forms import bind_errors
from campaign.core.pagecache import cached_response, hole
from campaign.core.throttle import Limited, counts_own_limits
from campaign.core.timeutil import utcnow
from campaign.core.urls import absolute_url
from campaign.events import calendar, event_page, public
from campaign.events.models import Event
from campaign.events.views import event_page_with_errors
from campaign.extensions import client_address, csrf, db
from campaign.i18n.markers import N_
from campaign.i18n.web import current_locale
from campaign.signups import guard, page_keys, services
from campaign.signups.forms import ResendForm, SignupFields, SignupForm

log = logging.getLogger(__name__)
bp = Blueprint("signups", __name__)
NOT_SAVED = N_("Your registration could not be saved. Nothing was stored: please try again.")


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


@bp.post("/events/<slug>/register")
@csrf.exempt  # no session: the signed one-time form token and the origin check instead
@counts_own_limits  # campaign.signups.guard, answering with the form kept
def register(slug: str) -> Response:
    """The public form's POST: registered (303 to "check your inbox"), a second step, the
    form again with what to fix or how long to wait, or (honeypot only) a quiet drop.

    Everything that needs no store is decided first, so the limits and the one-time id
    take one round trip (guard.check_submission), in the order the answers below keep."""
    fields = SignupFields.read(request.form)
    is_valid = fields.is_valid()
    if fields.website:
        log.info("signup: dropped a submission that filled the honeypot")
        return redirect(url_for("signups.registered", slug=slug), 303)
    cross_site = guard.request_cross_site()
    claim = None
    if not cross_site:
        minimum = float(current_app.config["SIGNUP_MIN_SECONDS"])
        claim = guard.read_token(guard.form_keys(), fields.started, slug, minimum, time.time())
    data, invalid = None, None
    if is_valid and claim is not None and claim.verdict is None:
        try:
            data = services.clean_input(
                services.SignupInput(
                    name=fields.name,
                    email=fields.email,
                    is_consenting_to_updates=fields.keep_informed,
                    referral_code=fields.ref,
                    language=current_locale(),
                )
            )
        except services.InvalidSignup as exc:
            invalid = exc
    checked = guard.check_submission(
        slug, client_address(), claim, None if data is None else data.email
    )
    if checked.limited is not None:  # per address, or (checked input) per sign-up
        return _confirm_page(slug, _posted_form(), checked.limited)
    if cross_site:
        log.info("signup: asked for a second step (sent from another site)")
        # 400 as for a form without a valid CSRF token: refused, and nothing changed.
        return _confirm_page(slug, _posted_form(), status=400)
    if not is_valid:
        return _event_page_or_404(slug, _posted_form(), 400)
    if checked.verdict is not None:
        log.info("signup: asked for a second step (%s)", checked.verdict)
        return _confirm_page(slug, _posted_form())
    if invalid is not None:
        form = _posted_form()
        bind_errors(form, invalid)
        return _event_page_or_404(slug, form, 400)
    assert data is not None
    try:
        services.register_by_slug(slug, data, utcnow(), _secret(), is_clean=True)
        db.session.commit()
    except services.EventFull:
        db.session.rollback()
        return _form_error(slug, gettext("Sorry, this event is full and has no waitlist."))
    except services.SignupError as exc:
        db.session.rollback()
        return _form_error(slug, str(exc))
    except IntegrityError:
        db.session.rollback()
        # A concurrent identical submission that won the race gets the duplicate's answer;
        # anything else the database refused was not saved, and the person is told so.
        if not services.is_registered(slug, data.email):
            log.warning("signup: the database refused a registration for %s", slug)
            return _form_error(slug, gettext(NOT_SAVED))
    return redirect(url_for("signups.registered", slug=slug), 303)


def _posted_form() -> SignupForm:
    """The posted form, validated, to show it again (with its field errors)."""
    form = SignupForm()
    form.validate()
    return form


def _form_error(slug: str, message: str) -> Response:
    """The event page with the posted form and a message about the whole form (409)."""
    form = _posted_form()
    form.form_errors.append(message)
    return _event_page_or_404(slug, form, 409)


def _confirm_page(
    slug: str, form: SignupForm, limited: Limited | None = None, status: int = 200
) -> Response:
    """The second step: the details as typed, a fresh one-time token and one button.

    With `limited`, it also says which limit was reached and how long to wait (429 with
    Retry-After); without, a person passes it with one click.
    """
    event = public.public_event(slug)
    if event is None:
        abort(404)
    form.started.data = guard.form_token(guard.form_keys(), slug, guard.KIND_CONFIRM)
    body = render_template("signups/confirm.html", event=event, form=form, limited=limited)
    response = make_response(body, status if limited is None else 429)
    response.headers["Cache-Control"] = "no-store"
    if limited is not None:
        response.headers["Retry-After"] = str(limited.retry_after)
    return response


def _event_page_or_404(slug: str, form: SignupForm, status: int) -> Response:
    event = public.public_event(slug)
    if event is None:
        abort(404)
    return event_page_with_errors(event, form, status)


# The answer to "send the mail again", the same whether or not the address is registered.
RESENT_TEXT = N_(
    "If this address is registered for this event, we have sent its mail again. We send "
    "it at most once every 10 minutes, so if you asked a moment ago, the earlier copy is "
    "still on its way."
)


@bp.get("/events/<slug>/registered")
def registered(slug: str) -> Response:
    """The page a person sees after registering: check your inbox, the event, add it to a
    calendar, share it, and have the mail sent again. The same page for every address,
    and like the event page it keeps no session: its form carries a one-time token.

    Rendered once per state of the event and then served from memory with a fresh token
    (campaign.signups.page_keys), as the event page is; a copy rendered from data read in
    another state than the key's is not kept."""
    state = event_page.public_page_state(slug)
    if state is None:
        abort(404)
    now = utcnow()
    sent = request.args.get("sent") == "1"
    consistent = False

    def render() -> str:
        nonlocal consistent
        event = public.public_event(slug)
        if event is None:  # deleted or unpublished a moment ago
            abort(404)
        consistent = event_page.public_page_state(slug) == state
        return _registered_body(event, ResendForm(formdata=None), str(hole("started")), now, sent)

    slot, version = page_keys.page_slot(state, request.args), page_keys.page_version(state, now)
    response = cached_response(
        slot, version, page_keys.page_holes(slug), render, lambda: consistent
    )
    response.headers.set(*page_keys.NO_STORE)
    return response


def _registered_body(
    event: Event,
    form: ResendForm,
    started: str,
    now: datetime,
    sent: bool = False,
    limited: Limited | None = None,
    second_step: bool = False,
) -> str:
    """templates/signups/registered.html for event, its resend form carrying `started`."""
    form.started.data = started
    event_url = absolute_url("events.detail", slug=event.slug)
    return render_template(
        "signups/registered.html",
        event=event,
        now=now,
        form=form,
        sent=sent,
        resent_text=RESENT_TEXT,
        limited=limited,
        second_step=second_step,
        event_url=event_url,
        google_url=calendar.google_calendar_link(event, event_url),
        outlook_url=calendar.outlook_calendar_link(event, event_url),
    )


def _registered_page(
    event: Event,
    form: ResendForm,
    limited: Limited | None = None,
    status: int = 200,
    second_step: bool = False,
) -> Response:
    """The page answering a resend submission (errors, a second step, a limit; never
    stored), its form with a fresh one-time token made for one click."""
    token = guard.page_token(page_keys.RESEND_SLOT + event.slug)
    body = _registered_body(event, form, token, utcnow(), limited=limited, second_step=second_step)
    response = make_response(body, status)
    response.headers.set(*page_keys.NO_STORE)
    if limited is not None:
        response.headers["Retry-After"] = str(limited.retry_after)
    return response


@bp.post("/events/<slug>/registered/resend")
@csrf.exempt  # no session: the one-time form token and the origin check instead
@counts_own_limits  # campaign.signups.guard, answering with the page and the address kept
def resend(slug: str) -> Response:
    """Send a registration's mail again to the address typed, if it is registered; the
    answer never says whether it is."""
    event = public.public_event(slug)
    if event is None:
        abort(404)
    form = ResendForm()
    if not form.validate_on_submit():
        return _registered_page(event, form, status=400)
    done = redirect(url_for("signups.registered", slug=slug, sent="1") + "#resend", 303)
    if form.website.data:
        log.info("signup: dropped a resend request that filled the honeypot")
        return done
    try:
        email = services.clean_email(form.email.data or "")
    except services.InvalidSignup as exc:
        bind_errors(form, exc)
        return _registered_page(event, form, status=400)
    verdict = guard.public_form_verdict(form.started.data, page_keys.RESEND_SLOT + slug)
    if verdict is not None:
        log.info("signup: asked for a second step to resend (%s)", verdict)
        status = 400 if verdict == guard.CROSS_SITE else 200
        return _registered_page(event, form, status=status, second_step=True)
    limited = guard.resend_limited(email, client_address())
    if limited is not None:
        return _registered_page(event, form, limited=limited, status=429)
    services.resend_status_mail(event.id, email, utcnow())
    db.session.commit()
    return done


# The registrant's private pages are routes of this blueprint (imported to register them).
from campaign.signups import registrant_views as _registrant_pages  # noqa: E402, F401
