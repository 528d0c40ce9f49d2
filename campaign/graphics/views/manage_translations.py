"""The content editor's translations of a pair: write or change one per language, and
the admin's decisions on it (approve, discard a waiting change, withdraw, delete).
Routes on the graphics_manage blueprint. Thin: parse, call services, render."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from campaign.core.forms import ToggleForm
from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.graphics.forms import FactTranslationForm
from campaign.graphics.models import FactCard, FactTranslation
from campaign.graphics.services import fact_translations as ft
from campaign.graphics.views.manage import _card_or_404, bp
from campaign.i18n.negotiation import native_name
from campaign.i18n.web import supported_locales
from campaign.organizers.access import admin_required

Page = tuple[str, int]


def _locale_or_404(locale: str) -> str:
    if locale not in ft.translatable_locales(supported_locales()):
        abort(404)
    return locale


def _page(card: FactCard, locale: str, form: FactTranslationForm, status: int = 200) -> Page:
    return (
        render_template(
            "manage/content/translation.html",
            card=card,
            locale=locale,
            language=native_name(locale),
            row=ft.find(card.id, locale),
            form=form,
            action=ToggleForm(),
        ),
        status,
    )


def _back(card: FactCard, locale: str) -> BaseResponse:
    return redirect(
        url_for("graphics_manage.content_translation", card_id=card.id, locale=locale), 303
    )


@bp.route("/content/<int:card_id>/translations/<locale>", methods=["GET", "POST"])
def content_translation(card_id: int, locale: str) -> Page | BaseResponse:
    """A pair's translation into locale: the English pair and its quote beside the form."""
    card = _card_or_404(card_id)
    _locale_or_404(locale)
    form = FactTranslationForm()
    row = ft.find(card.id, locale)
    if request.method == "GET":
        if row is not None:
            form.myth.data = row.pending_myth if row.has_pending else row.myth
            form.fact.data = row.pending_fact if row.has_pending else row.fact
            form.reason.data = row.pending_reason if row.has_pending else row.reason
        return _page(card, locale, form)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _page(card, locale, form, 400)
    texts = (form.myth.data or "", form.fact.data or "", form.reason.data or "")
    try:
        saved = ft.save_translation(
            card, locale, texts, current_user, current_user.is_admin, supported_locales()
        )
    except ft.TranslationError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _page(card, locale, form, 400)
    db.session.commit()
    if saved.has_pending:
        flash(gettext("Change saved. An admin must approve it before it is public."), "success")
    elif saved.is_approved:
        flash(gettext("Saved. The public translation is updated."), "success")
    else:
        flash(gettext("Saved. An admin must approve it before it is public."), "success")
    return _back(card, locale)


def _decide(card_id: int, locale: str, decision: str) -> BaseResponse:
    card = _card_or_404(card_id)
    _locale_or_404(locale)
    if not ToggleForm().validate_on_submit():
        abort(400)
    row: FactTranslation | None = ft.find(card.id, locale)
    if row is None:
        abort(404)
    try:
        if decision == "approve":
            ft.approve_translation(row, current_user, utcnow())
            message = gettext("Approved: the translation is public.")
        elif decision == "discard":
            ft.discard_change(row)
            message = gettext("The waiting change was discarded.")
        elif decision == "withdraw":
            ft.withdraw_translation(row)
            message = gettext("Withdrawn: the pair shows in its own language again.")
        else:
            ft.delete_translation(row, current_user.is_admin)
            message = gettext("Translation deleted.")
    except ft.TranslationError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back(card, locale)
    db.session.commit()
    flash(message, "success")
    return _back(card, locale)


@bp.post("/content/<int:card_id>/translations/<locale>/approve")
@admin_required
def approve_translation(card_id: int, locale: str) -> BaseResponse:
    """An admin makes the translation (or its waiting change) public."""
    return _decide(card_id, locale, "approve")


@bp.post("/content/<int:card_id>/translations/<locale>/discard")
@admin_required
def discard_translation_change(card_id: int, locale: str) -> BaseResponse:
    """An admin turns down the change waiting on an approved translation."""
    return _decide(card_id, locale, "discard")


@bp.post("/content/<int:card_id>/translations/<locale>/withdraw")
@admin_required
def withdraw_translation(card_id: int, locale: str) -> BaseResponse:
    """An admin takes the translation off the public site."""
    return _decide(card_id, locale, "withdraw")


@bp.post("/content/<int:card_id>/translations/<locale>/delete")
def delete_translation(card_id: int, locale: str) -> BaseResponse:
    """Delete a translation (a public one: admins only)."""
    return _decide(card_id, locale, "delete")
