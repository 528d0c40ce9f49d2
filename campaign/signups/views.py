"""Registration, the registrant's manage page, and the organizer's attendee tools."""

from __future__ import annotations

import json
import logging
from datetime import datetime

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
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from campaign.core.pagecache import render_cached
from campaign.core.timeutil import utcnow
from campaign.core.urls import absolute_url
from campaign.events import calendar
from campaign.events import services as event_services
from campaign.events.models import Event
from campaign.extensions import csrf, db, limiter
from campaign.organizers.forms import ToggleForm
from campaign.signups import services
from campaign.signups.forms import SignupForm, started_token
from campaign.signups.models import Registration

log = logging.getLogger(__name__)
bp = Blueprint("signups", __name__)

PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "same-origin",
}


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


@bp.after_app_request
def _private_manage_links(response: Response) -> Response:
    """Every answer under /r/ carries the private headers, error pages (CSRF, 405) included."""
    if request.path.startswith("/r/"):
        response.headers.update(PRIVATE_HEADERS)
    return response


def public_event_page(slug: str) -> Response:
    """GET /events/<slug>: the event page with a fresh registration form.

    One Core query reads the state of everything the page shows; a page rendered in that
    state is served from memory with this visitor's tokens (campaign.core.pagecache). Only
    on a miss are the ORM objects loaded and the page rendered, and that copy is kept only
    if they were read in the same state (a registration may land between the two reads).
    """
    state = services.public_page_state(slug)
    if state is None:
        abort(404)
    now = utcnow()
    ref = (request.args.get("ref") or "")[:16]
    started = started_token(slug)
    consistent = False

    def render() -> str:
        nonlocal consistent
        page = services.public_page(slug)
        if page is None:  # deleted or unpublished a moment ago
            abort(404)
        consistent = services.page_state(page) == state.parts
        g.campaign = page.campaign  # the layout's campaign: already loaded
        form = SignupForm(formdata=None)
        form.ref.data = ref
        return _render_event_page(page.event, form, page.confirmed, page.waitlisted, now, started)

    key = (
        *state.parts,
        now < state.starts_at,  # the time only matters as: before, during or after
        now < state.ends_at,
    )
    holes = {"csrf": generate_csrf, "started": lambda: started}
    page = render_cached((state.event_id, ref), key, holes, render, keep=lambda: consistent)
    return make_response(page)


def event_page(event: Event, form: SignupForm, status: int) -> Response:
    """The event page showing a submitted form's errors."""
    counts = services.seat_counts(event.id)
    body = _render_event_page(
        event, form, counts["confirmed"], counts["waitlisted"], utcnow(), started_token(event.slug)
    )
    return make_response(body, status)


def _render_event_page(
    event: Event, form: SignupForm, confirmed: int, waitlisted: int, now: datetime, started: str
) -> str:
    form.started.data = started
    event_url = absolute_url("events.detail", slug=event.slug)
    return render_template(
        "events/detail.html",
        event=event,
        now=now,
        form=form,
        is_open=services.is_open_for_signup(event, now),
        seats_left=services.seats_left(event, confirmed),
        waitlisted=waitlisted,
        confirmed=confirmed,
        event_url=event_url,
        google_url=calendar.google_calendar_link(event, event_url),
        outlook_url=calendar.outlook_calendar_link(event, event_url),
    )


def _signup_limit() -> str:
    return current_app.config["SIGNUP_RATE_LIMIT"]


@bp.post("/events/<slug>/register")
@limiter.limit(_signup_limit)
def register(slug: str) -> Response:
    form = SignupForm()
    if not form.validate_on_submit():
        return _event_page_or_404(slug, form, 400)
    verdict = form.bot_verdict(slug)
    if verdict is not None:
        log.info("signup: discarded a bot-like submission (%s)", verdict)
        return redirect(url_for("signups.registered", slug=slug), 303)
    data = services.SignupInput(
        name=form.name.data or "",
        email=form.email.data or "",
        is_consenting_to_updates=bool(form.keep_informed.data),
        referral_code=form.ref.data or "",
    )
    try:
        services.register_by_slug(slug, data, utcnow(), _secret())
        db.session.commit()
    except services.InvalidSignup as exc:
        db.session.rollback()
        for name, message in exc.errors.items():
            getattr(form, name).errors = [message]
        return _event_page_or_404(slug, form, 400)
    except services.EventFull:
        db.session.rollback()
        form.form_errors.append("Sorry, this event is full and has no waitlist.")
        return _event_page_or_404(slug, form, 409)
    except services.SignupError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _event_page_or_404(slug, form, 409)
    except IntegrityError:
        # A concurrent identical submission won the race: same answer as a duplicate.
        db.session.rollback()
    return redirect(url_for("signups.registered", slug=slug), 303)


def _event_page_or_404(slug: str, form: SignupForm, status: int) -> Response:
    event = event_services.public_event(slug)
    if event is None:
        abort(404)
    return event_page(event, form, status)


@bp.get("/events/<slug>/registered")
def registered(slug: str) -> str:
    event = event_services.public_event(slug)
    if event is None:
        abort(404)
    return render_template("signups/registered.html", event=event)


def _private(body: str | Response, status: int | None = None) -> Response:
    response = make_response(body) if status is None else make_response(body, status)
    response.headers.update(PRIVATE_HEADERS)
    return response


def _registration_or_invalid(token: str) -> Registration | Response:
    registration = services.find_by_token(token)
    if registration is None:
        return _private(render_template("signups/invalid.html"), 404)
    return registration


@bp.get("/r/<token>")
def manage(token: str) -> Response:
    found = _registration_or_invalid(token)
    if isinstance(found, Response):
        return found
    registration = found
    event = registration.event
    now = utcnow()
    event_url = absolute_url("events.detail", slug=event.slug)
    join_url = event.join_url if registration.is_confirmed and event.join_url else None
    position = None
    if registration.is_waitlisted:
        from campaign.signups.mails import waitlist_position

        position = waitlist_position(registration)
    return _private(
        render_template(
            "signups/manage.html",
            registration=registration,
            event=event,
            token=token,
            now=now,
            action=ToggleForm(),
            join_url=join_url,
            position=position,
            share_url=absolute_url(
                "events.detail", slug=event.slug, ref=registration.referral_code
            ),
            google_url=calendar.google_calendar_link(event, event_url, join_url),
            outlook_url=calendar.outlook_calendar_link(event, event_url, join_url),
        )
    )


@bp.post("/r/<token>/cancel")
def cancel(token: str) -> Response:
    found = _registration_or_invalid(token)
    if isinstance(found, Response):
        return found
    if not ToggleForm().validate_on_submit():
        abort(400)
    services.cancel(found, utcnow(), _secret())
    db.session.commit()
    flash("Your registration is cancelled. We've emailed you a confirmation.", "success")
    return _private(redirect(url_for("signups.manage", token=token), 303))


@bp.post("/r/<token>/card-name")
def card_name(token: str) -> Response:
    """Opt in or out of showing the first name on the "I'm attending" card."""
    from campaign.graphics.services import set_name_on_card

    found = _registration_or_invalid(token)
    if isinstance(found, Response):
        return found
    if not ToggleForm().validate_on_submit():
        abort(400)
    if found.is_anonymised:
        abort(404)
    show = request.form.get("show") == "1"
    set_name_on_card(found, show)
    db.session.commit()
    if show:
        flash("Your card now shows your first name.", "success")
    else:
        flash("Your first name is off your card.", "success")
    return _private(redirect(url_for("signups.manage", token=token) + "#share-card", 303))


@bp.post("/r/<token>/delete")
def delete(token: str) -> Response:
    found = _registration_or_invalid(token)
    if isinstance(found, Response):
        return found
    if not ToggleForm().validate_on_submit():
        abort(400)
    slug = found.event.slug
    services.anonymise(found, utcnow(), _secret())
    db.session.commit()
    return _private(render_template("signups/deleted.html", slug=slug))


@bp.get("/r/<token>/export.json")
def export(token: str) -> Response:
    found = _registration_or_invalid(token)
    if isinstance(found, Response):
        return found
    response = _private(json.dumps(services.export_data(found), indent=2, ensure_ascii=False))
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = 'attachment; filename="my-registration.json"'
    return response


def _unsubscribe_target(registration_id: int, signature: str) -> Registration | None:
    import hmac as _hmac

    from campaign.signups.tokens import unsubscribe_signature

    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.is_anonymised or len(signature) > 64:
        return None
    expected = unsubscribe_signature(_secret(), registration.id, registration.token_nonce)
    if not _hmac.compare_digest(expected, signature):
        return None
    return registration


@bp.route("/u/<int:registration_id>/<signature>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(registration_id: int, signature: str) -> Response:
    """One-click unsubscribe (RFC 8058): GET shows a button, POST unsubscribes."""
    registration = _unsubscribe_target(registration_id, signature)
    if registration is None:
        return _private(render_template("signups/invalid.html"), 404)
    if request.method == "POST":
        services.unsubscribe(registration)
        db.session.commit()
        return _private(render_template("signups/unsubscribed.html", done=True))
    return _private(render_template("signups/unsubscribed.html", done=False))
