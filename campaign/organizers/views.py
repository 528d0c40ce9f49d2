"""Sign in and out, invitations, and the admin's list of organizers."""

from __future__ import annotations

from functools import wraps
from typing import Any

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
from flask_login import current_user, login_required, login_user, logout_user

from campaign.core.timeutil import utcnow
from campaign.core.urls import absolute_url, safe_next
from campaign.extensions import db, limiter
from campaign.organizers import services
from campaign.organizers.forms import InviteForm, LoginForm, SetPasswordForm, ToggleForm
from campaign.organizers.models import Organizer

bp = Blueprint("organizers", __name__, url_prefix="/manage")


def admin_required(view: Any) -> Any:
    """Only admins; anyone else gets 404 so the page's existence is not revealed."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_admin:
            abort(404)
        return view(*args, **kwargs)

    return wrapped


def _login_account_key() -> str:
    return "login-account:" + services.normalise_email(request.form.get("email", ""))[:254]


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_login_account_key)
def login():  # type: ignore[no-untyped-def]
    next_url = safe_next(request.args.get("next"), url_for("dashboard.index"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        organizer = services.authenticate(form.email.data or "", form.password.data or "")
        if organizer is None:
            error = "That email and password do not match an active account."
        else:
            session.clear()
            services.start_session(
                organizer, utcnow(), current_app.config["ORGANIZER_SESSION_HOURS"]
            )
            db.session.commit()
            login_user(organizer)
            session.permanent = True
            return redirect(next_url)
    elif request.method == "POST":
        error = "Enter your email and password."
    status = 200 if error is None else 400 if request.method == "POST" else 200
    return render_template("organizers/login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout():  # type: ignore[no-untyped-def]
    services.end_session(current_user.get_id())
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("organizers.login"))


@bp.get("/organizers")
@admin_required
def index():  # type: ignore[no-untyped-def]
    return render_template(
        "manage/organizers/index.html",
        organizers=services.list_organizers(),
        form=InviteForm(),
        toggle=ToggleForm(),
    )


@bp.post("/organizers/invite")
@admin_required
def invite():  # type: ignore[no-untyped-def]
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
def reinvite(organizer_id: int):  # type: ignore[no-untyped-def]
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
def deactivate(organizer_id: int):  # type: ignore[no-untyped-def]
    return _set_enabled(organizer_id, False)


@bp.post("/organizers/<int:organizer_id>/reactivate")
@admin_required
def reactivate(organizer_id: int):  # type: ignore[no-untyped-def]
    return _set_enabled(organizer_id, True)


def _set_enabled(organizer_id: int, enabled: bool):  # type: ignore[no-untyped-def]
    organizer = _organizer_or_404(organizer_id)
    if not ToggleForm().validate_on_submit():
        abort(400)
    try:
        services.set_enabled(organizer, enabled, current_user)
    except services.OrganizerError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"{organizer.name} is {'active' if enabled else 'deactivated'}.", "success")
    return redirect(url_for("organizers.index"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def accept_invite(token: str):  # type: ignore[no-untyped-def]
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
            flash("Your password is set. Sign in to start.", "success")
            return redirect(url_for("organizers.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("organizers/accept_invite.html", form=form, organizer=organizer), status
