"""The registrant's private pages under /r/<token> (the link in every mail: their place,
cancel, delete, export, the language of their mail, the name on their card) and one-click
unsubscribe under /u/: routes of the signups blueprint (campaign.signups.views)."""

from __future__ import annotations

import json

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from werkzeug.wrappers import Response

from campaign.core.forms import ToggleForm
from campaign.core.timeutil import utcnow
from campaign.core.urls import absolute_url
from campaign.events import calendar
from campaign.extensions import csrf, db
from campaign.i18n.negotiation import native_name
from campaign.i18n.web import supported_locales
from campaign.signups import privacy, seats, services
from campaign.signups.models import Registration
from campaign.signups.tokens import check_in_code
from campaign.signups.views import bp

PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "same-origin",
}


@bp.after_app_request
def _private_manage_links(response: Response) -> Response:
    """Every answer under /r/ carries the private headers, error pages (CSRF, 405) included."""
    if request.path.startswith("/r/"):
        response.headers.update(PRIVATE_HEADERS)
    return response


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
    """A registrant's private page (the link in every mail): their place, calendar links, share
    card, cancel, delete or export.
    """
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
            check_in_code=check_in_code(current_app.config["SECRET_KEY"], registration.token_nonce),
            mail_languages=supported_locales(),
            native_name=native_name,
        )
    )


@bp.get("/r/<token>/check-in.png")
def check_in_qr(token: str) -> Response:
    """The QR code the organizer's check-in page reads: its address with this person's
    check-in code (which opens nothing by itself)."""
    from campaign.attendees.checkin import qr_png

    found = _registration_or_invalid(token)
    if isinstance(found, Response):
        return found
    if not found.is_confirmed or found.event.is_cancelled:
        return _private(render_template("signups/invalid.html"), 404)
    url = absolute_url(
        "attendees.check_in_page",
        event_id=found.event_id,
        code=check_in_code(current_app.config["SECRET_KEY"], found.token_nonce),
    )
    return _private(Response(qr_png(url), mimetype="image/png"))


@bp.post("/r/<token>/cancel")
def cancel(token: str) -> Response:
    """Cancel a registration (a POST button); a freed seat goes to the waitlist."""
    found = _registration_or_invalid(token)
    if isinstance(found, Response):
        return found
    if not ToggleForm().validate_on_submit():
        abort(400)
    seats.cancel(found, utcnow())
    db.session.commit()
    flash(gettext("Your registration is cancelled. We've emailed you a confirmation."), "success")
    return _private(redirect(url_for("signups.manage", token=token), 303))


@bp.post("/r/<token>/card-name")
def card_name(token: str) -> Response:
    """Opt in or out of showing the first name on the "I'm attending" card."""
    from campaign.graphics.services.registry import NameNotDrawable, set_name_on_card

    found = _registration_or_invalid(token)
    if isinstance(found, Response):
        return found
    if not ToggleForm().validate_on_submit():
        abort(400)
    if found.is_anonymised:
        abort(404)
    show = request.form.get("show") == "1"
    try:
        set_name_on_card(found, show)
    except NameNotDrawable as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _private(redirect(url_for("signups.manage", token=token) + "#share-card", 303))
    db.session.commit()
    if show:
        flash(gettext("Your card now shows your first name."), "success")
    else:
        flash(gettext("Your first name is off your card."), "success")
    return _private(redirect(url_for("signups.manage", token=token) + "#share-card", 303))


@bp.post("/r/<token>/language")
def language(token: str) -> Response:
    """The language of the person's mail from now on (a choice on their page)."""
    found = _registration_or_invalid(token)
    if isinstance(found, Response):
        return found
    if not ToggleForm().validate_on_submit():
        abort(400)
    try:
        services.set_language(found, request.form.get("language", ""), supported_locales())
    except ValueError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(gettext("Your emails will now be in %(language)s.",
                      language=native_name(found.language)), "success")  # fmt: skip
    return _private(redirect(url_for("signups.manage", token=token) + "#mail-language", 303))


@bp.post("/r/<token>/delete")
def delete(token: str) -> Response:
    """Delete the person's data (a POST button): the registration is anonymised."""
    found = _registration_or_invalid(token)
    if isinstance(found, Response):
        return found
    if not ToggleForm().validate_on_submit():
        abort(400)
    slug = found.event.slug
    privacy.anonymise(found, utcnow())
    db.session.commit()
    return _private(render_template("signups/deleted.html", slug=slug))


@bp.post("/r/<token>/resubscribe")
def resubscribe(token: str) -> Response:
    """Take back an unsubscribe (a POST button): reminders and updates again."""
    found = _registration_or_invalid(token)
    if isinstance(found, Response):
        return found
    if not ToggleForm().validate_on_submit():
        abort(400)
    privacy.resubscribe(found)
    db.session.commit()
    flash(gettext("You will get reminders and updates from organizers again."), "success")
    return _private(redirect(url_for("signups.manage", token=token) + "#your-data", 303))


@bp.get("/r/<token>/export.json")
def export(token: str) -> Response:
    """Everything stored about the person, as a JSON download."""
    found = _registration_or_invalid(token)
    if isinstance(found, Response):
        return found
    response = _private(json.dumps(privacy.export_data(found), indent=2, ensure_ascii=False))
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = 'attachment; filename="my-registration.json"'
    return response


def _unsubscribe_target(registration_id: int, signature: str) -> Registration | None:
    from campaign.core.tokens import secret_keys
    from campaign.signups.tokens import is_unsubscribe_signature

    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.is_anonymised or len(signature) > 64:
        return None
    keys = secret_keys()
    if not is_unsubscribe_signature(keys, registration.id, registration.token_nonce, signature):
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
        privacy.unsubscribe(registration)
        db.session.commit()
        return _private(render_template("signups/unsubscribed.html", done=True))
    return _private(render_template("signups/unsubscribed.html", done=False))
