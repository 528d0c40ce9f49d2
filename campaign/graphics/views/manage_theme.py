"""The card theme (admins): colours checked for contrast, the logo and the background
photo, and the answer to an upload over the size limit. Routes on the graphics_manage
blueprint. Thin: parse, call services, render."""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    Response,
    abort,
    flash,
    redirect,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as BaseResponse

from campaign.campaigns.models import Campaign
from campaign.campaigns.services import current_campaign
from campaign.cardrender import DEFAULT_THEME
from campaign.core.errors import render_error
from campaign.core.forms import FieldErrors, ToggleForm, bind_errors
from campaign.extensions import db
from campaign.graphics.forms import (
    LogoForm,
    PhotoForm,
    ThemeForm,
)
from campaign.graphics.services.photo import PhotoRejected, photo_bytes, remove_photo, save_photo
from campaign.graphics.services.theme import (
    LOGO_MAX_BYTES,
    LogoRejected,
    ThemeInvalid,
    logo_bytes,
    remove_logo,
    save_logo,
    update_theme,
)
from campaign.graphics.views.manage import _campaign, _prerender_later, bp
from campaign.graphics.views.manage_pages import (
    Page,
    theme_page,
)
from campaign.organizers.access import admin_required


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> Page:
    """An upload over the limit: the theme page again with the logo field's message."""
    message = (
        "That file is larger than 5 MB, the most a logo may be. "
        "Save it smaller (a PNG of a few hundred pixels is plenty) and upload it again."
    )
    if request.endpoint == "graphics_manage.upload_photo":
        message = (
            "That file is larger than 5 MB, the most a photo may be. "
            "Save it smaller (a JPEG 2000 pixels wide is plenty) and upload it again."
        )
    if (
        request.endpoint in ("graphics_manage.upload_logo", "graphics_manage.upload_photo")
        and current_user.is_authenticated
        and current_user.is_admin
    ):
        campaign = current_campaign()
        if campaign is not None:
            if request.endpoint == "graphics_manage.upload_photo":
                photo_form = PhotoForm(formdata=None)
                bind_errors(photo_form, {"photo": message})
                return theme_page(campaign, photo_form=photo_form, status=413)
            logo_form = LogoForm(formdata=None)
            bind_errors(logo_form, {"logo": message})
            return theme_page(campaign, logo_form=logo_form, status=413)
    return render_error(413, message)


@bp.route("/theme", methods=["GET", "POST"])
@admin_required
def theme() -> Page | BaseResponse:
    """The card colours (checked for contrast) and the logo (admins)."""
    campaign = _campaign()
    if request.method == "GET":
        return theme_page(campaign)
    form = ThemeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        update_theme(campaign, form.to_theme())
    except ThemeInvalid as exc:
        db.session.rollback()
        bind_errors(form, exc)
        return theme_page(campaign, form=form, status=400)
    db.session.commit()
    flash(gettext("Theme saved. Every card uses the new colours from now on."), "success")
    return redirect(url_for("graphics_manage.theme"), 303)


@bp.post("/theme/reset")
@admin_required
def reset_theme() -> BaseResponse:
    """Put the default card colours back (admins)."""
    campaign = _campaign()
    if not ToggleForm().validate_on_submit():
        abort(400)
    update_theme(campaign, DEFAULT_THEME)
    db.session.commit()
    flash(gettext("Theme reset to the default colours."), "success")
    return redirect(url_for("graphics_manage.theme"), 303)


def _upload(
    form_class: type[LogoForm] | type[PhotoForm],
    save: Callable[[Campaign, bytes], str],
    rejected: type[FieldErrors],
    saved: str,
    then: Callable[[int], None] | None = None,
) -> Page | BaseResponse:
    """Save the uploaded logo or photo (none chosen: no bytes, which the service refuses),
    run `then` with the campaign's id and go back to the theme page; or the theme page with
    the field's message, nothing saved."""
    campaign = _campaign()
    form = form_class()
    if not form.validate_on_submit():
        abort(400)
    upload = form.photo.data if isinstance(form, PhotoForm) else form.logo.data
    chosen = bool(getattr(upload, "filename", ""))  # a file part with a name (not a text value)
    data = upload.read(LOGO_MAX_BYTES + 1) if chosen else b""
    try:
        save(campaign, data)
    except rejected as exc:
        db.session.rollback()
        bind_errors(form, exc)
        if isinstance(form, PhotoForm):
            return theme_page(campaign, photo_form=form, status=400)
        return theme_page(campaign, logo_form=form, status=400)
    db.session.commit()
    if then is not None:
        then(campaign.id)
    flash(saved, "success")
    return redirect(url_for("graphics_manage.theme"), 303)


def _remove(remove: Callable[[Campaign], None], message: str) -> BaseResponse:
    """Draw the cards without the logo or photo again, after the form's CSRF check."""
    campaign = _campaign()
    if not ToggleForm().validate_on_submit():
        abort(400)
    remove(campaign)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("graphics_manage.theme"), 303)


@bp.post("/theme/logo")
@admin_required
def upload_logo() -> Page | BaseResponse:
    """Upload the logo every card shows (checked and re-encoded; admins)."""
    saved = gettext("Logo saved. It appears on every card from now on.")
    return _upload(LogoForm, save_logo, LogoRejected, saved)


@bp.post("/theme/logo/remove", endpoint="remove_logo")  # the service has the plain name
@admin_required
def logo_remove() -> BaseResponse:
    """Draw the cards without a logo again (admins)."""
    return _remove(remove_logo, gettext("Logo removed from the cards."))


@bp.post("/theme/photo")
@admin_required
def upload_photo() -> Page | BaseResponse:
    """Upload the background photo every card shows (checked and re-encoded; admins)."""
    saved = gettext("Photo saved. Every card shows it behind a shade from now on.")
    return _upload(PhotoForm, save_photo, PhotoRejected, saved, then=_prerender_later)


@bp.post("/theme/photo/remove", endpoint="remove_photo")  # the service has the plain name
@admin_required
def photo_remove() -> BaseResponse:
    """Draw the cards without the photo again (admins)."""
    return _remove(remove_photo, gettext("Photo removed from the cards."))


@bp.get("/theme/photo.jpg")
@admin_required
def photo() -> Response:
    """The stored (cleaned) photo, for the theme page."""
    data = photo_bytes(_campaign())
    if data is None:
        abort(404)
    return Response(data, mimetype="image/jpeg")


@bp.get("/theme/logo.png")
@admin_required
def logo() -> Response:
    """The stored (cleaned) logo, for the theme page."""
    campaign = _campaign()
    data = logo_bytes(campaign)
    if data is None:
        abort(404)
    return Response(data, mimetype="image/png")
