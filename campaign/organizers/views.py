"""Sign in and out, invitations, and the admin's list of organizers."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from campaign.core.forms import ToggleForm
from campaign.core.throttle import Limited, counts_own_limits
from campaign.core.timeutil import utcnow
from campaign.core.tokens import serializer_keys
from campaign.core.urls import absolute_url, safe_next
from campaign.extensions import client_address, db, limiter, throttle
from campaign.i18n.markers import N_
from campaign.organizers import limits, services
from campaign.organizers.access import admin_required
from campaign.organizers.forms import (
    InviteForm,
    LoginForm,
    NotificationsForm,
    SetPasswordForm,
)
from campaign.organizers.models import Organizer

bp = Blueprint("organizers", __name__, url_prefix="/manage")


def _login_limited(email: str) -> tuple[Limited | None, limits.KnownBrowser | None, str]:
    """Count this sign-in attempt: (the limit it broke or None, this browser, account key)."""
    config = current_app.config
    secret = config["SECRET_KEY"]
    account = limits.account_key(secret, email[:254])
    known = limits.read_known_browser(
        tuple(serializer_keys()),
        request.cookies.get(limits.KNOWN_BROWSER_COOKIE),
        int(config["LOGIN_KNOWN_BROWSER_DAYS"]) * 86400,
    )
    limited = throttle.hit(*limits.checks(config, account, client_address(), known))
    return limited, known, account


LIMIT_MESSAGES = {
    "pair": N_(
        "Too many sign-in attempts for this account from here. Wait {wait}, then try again."
    ),
    "address": N_("Too many sign-in attempts from your network. Wait {wait}, then try again."),
    "account": N_(
        "This account has had many failed sign-in attempts from elsewhere, so signing in "
        "from a browser it has not been used on is paused for {wait}. A browser you have "
        "signed in with before still works."
    ),
}


@bp.route("/login", methods=["GET", "POST"])
@counts_own_limits  # campaign.organizers.limits, answering with the form kept
def login() -> ResponseReturnValue:
    """Sign in (counted against the sign-in limits; the form kept when one is reached)."""
    next_url = safe_next(request.args.get("next"), url_for("dashboard.index"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    known, account = None, ""
    if request.method == "POST":
        limited, known, account = _login_limited(request.form.get("email", ""))
        if limited is not None:
            form.password.data = ""
            message = gettext(LIMIT_MESSAGES[limited.name]).format(wait=limited.wait_text)
            body = render_template("organizers/login.html", form=form, error=message)
            return body, 429, {"Retry-After": str(limited.retry_after)}
    error: str | None = None
    if form.validate_on_submit():
        organizer = services.authenticate(form.email.data or "", form.password.data or "")
        if organizer is None:
            error = gettext("That email and password do not match an active account.")
        else:
            session.clear()
            services.start_session(
                organizer, utcnow(), current_app.config["ORGANIZER_SESSION_HOURS"]
            )
            db.session.commit()
            login_user(organizer)
            session.permanent = True
            throttle.clear(limits.pair_check(current_app.config, account, client_address(), known))
            response = redirect(next_url)
            _remember_browser(response, known, account)
            return response
    elif request.method == "POST":
        error = gettext("Enter your email and password.")
    status = 200 if error is None else 400 if request.method == "POST" else 200
    return render_template("organizers/login.html", form=form, error=error), status


def _remember_browser(response: Response, known: limits.KnownBrowser | None, account: str) -> None:
    """Mark this browser as one the account signed in with (see campaign.organizers.limits)."""
    config = current_app.config
    response.set_cookie(
        limits.KNOWN_BROWSER_COOKIE,
        limits.remember_account(tuple(serializer_keys()), known, account),
        max_age=int(config["LOGIN_KNOWN_BROWSER_DAYS"]) * 86400,
        path=limits.KNOWN_BROWSER_PATH,
        secure=bool(config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    """Sign out: the login session ends on the server too."""
    services.end_session(current_user.get_id())
    db.session.commit()
    logout_user()
    session.clear()
    flash(gettext("You are signed out."), "info")
    return redirect(url_for("organizers.login"))


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
def notifications() -> ResponseReturnValue:
    """The signed-in organizer's choice: a mail per sign-up, a daily digest, or none."""
    from campaign.organizers import notifications as service

    form = NotificationsForm()
    if request.method == "GET":
        form.mode.data = current_user.notify_mode
    elif form.validate_on_submit():
        service.set_mode(current_user, form.mode.data or "", utcnow())
        db.session.commit()
        flash(
            {
                "off": gettext("Saved: no mail about sign-ups."),
                "each": gettext("Saved: a mail for each sign-up and cancellation on your events."),
                "digest": gettext("Saved: one mail a day when something changed on your events."),
            }[current_user.notify_mode],
            "success",
        )
        return redirect(url_for("organizers.notifications"), 303)
    elif "csrf_token" in form.errors:
        abort(400)
    status = 400 if request.method == "POST" else 200
    return render_template("manage/organizers/notifications.html", form=form), status


@bp.get("/organizers")
@admin_required
def index() -> ResponseReturnValue:
    """The list of organizers, with the invitation form (admins only)."""
    return render_template(
        "manage/organizers/index.html",
        organizers=services.list_organizers(),
        form=InviteForm(),
        toggle=ToggleForm(),
    )


@bp.post("/organizers/invite")
@admin_required
def invite() -> ResponseReturnValue:
    """Invite an organizer: shows the one-time link to send them (admins only)."""
    form = InviteForm()
    if form.validate_on_submit():
        try:
            token = services.invite(
                form.email.data or "",
                form.name.data or "",
                current_user,
                utcnow(),
                current_app.config["INVITE_VALID_HOURS"],
            )
        except services.OrganizerError as exc:
            form.email.errors = [str(exc)]
        else:
            db.session.commit()
            return render_template(
                "manage/organizers/invited.html",
                link=absolute_url("organizers.accept_invite", token=token),
                name=form.name.data,
                hours=current_app.config["INVITE_VALID_HOURS"],
            )
    body = render_template(
        "manage/organizers/index.html",
        organizers=services.list_organizers(),
        form=form,
        toggle=ToggleForm(),
    )
    return body, 400


def _organizer_or_404(organizer_id: int) -> Organizer:
    organizer = db.session.get(Organizer, organizer_id)
    if organizer is None:
        abort(404)
    return organizer


@bp.post("/organizers/<int:organizer_id>/reinvite")
@admin_required
def reinvite(organizer_id: int) -> ResponseReturnValue:
    """A fresh invitation link for someone who has not set a password yet (admins only)."""
    organizer = _organizer_or_404(organizer_id)
    if not ToggleForm().validate_on_submit():
        abort(400)
    try:
        token = services.reissue_invite(
            organizer, utcnow(), current_app.config["INVITE_VALID_HOURS"]
        )
    except services.OrganizerError as exc:
        flash(str(exc), "error")
        return redirect(url_for("organizers.index"))
    db.session.commit()
    return render_template(
        "manage/organizers/invited.html",
        link=absolute_url("organizers.accept_invite", token=token),
        name=organizer.name,
        hours=current_app.config["INVITE_VALID_HOURS"],
    )


@bp.post("/organizers/<int:organizer_id>/deactivate")
@admin_required
def deactivate(organizer_id: int) -> ResponseReturnValue:
    """Stop an organizer from signing in (admins only; never the last admin)."""
    return _set_enabled(organizer_id, False)


@bp.post("/organizers/<int:organizer_id>/reactivate")
@admin_required
def reactivate(organizer_id: int) -> ResponseReturnValue:
    """Let a deactivated organizer sign in again (admins only)."""
    return _set_enabled(organizer_id, True)


def _set_enabled(organizer_id: int, enabled: bool) -> ResponseReturnValue:
    """Deactivate or reactivate an organizer, then back to the list."""
    organizer = _organizer_or_404(organizer_id)
    if not ToggleForm().validate_on_submit():
        abort(400)
    try:
        services.set_enabled(organizer, enabled, current_user)
    except services.OrganizerError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(
            gettext("%(name)s is active.", name=organizer.name)
            if enabled
            else gettext("%(name)s is deactivated.", name=organizer.name),
            "success",
        )
    return redirect(url_for("organizers.index"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def accept_invite(token: str) -> ResponseReturnValue:
    """The invitation link: the invitee sets a password."""
    organizer = services.find_by_invite(token, utcnow())
    if organizer is None:
        return render_template("organizers/invite_invalid.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            services.accept_invite(organizer, form.password.data or "")
        except services.OrganizerError as exc:
            form.password.errors = [str(exc)]
        else:
            db.session.commit()
            flash(gettext("Your password is set. Sign in to start."), "success")
            return redirect(url_for("organizers.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("organizers/accept_invite.html", form=form, organizer=organizer), status
