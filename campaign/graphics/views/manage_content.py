"""The myth/fact content editor: the list, the editor with its live preview, the card
images of unpublished pairs, and the decisions on a pair (approve, edits, order, delete).
Routes on the graphics_manage blueprint. Thin: parse, call services, render."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from campaign import cardrender
from campaign.campaigns.models import Campaign
from campaign.cardrender import PRESETS
from campaign.core.forms import ToggleForm, bind_errors
from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.graphics.forms import (
    FactCardForm,
    RevisionDecisionForm,
)
from campaign.graphics.models import FactCard
from campaign.graphics.services.content import (
    ContentError,
    ContentInvalid,
    create_fact,
    facts_query,
    move_fact,
    preview_png,
    validate_content,
)
from campaign.graphics.services.fact_translations import translatable_locales
from campaign.graphics.services.publication import (
    approve_fact,
    approve_revision,
    delete_fact,
    discard_revision,
    pending_revision,
    pending_revisions,
    save_fact,
    withdraw_fact,
)
from campaign.graphics.services.refs import unpublished_card_key, unpublished_card_png
from campaign.graphics.services.sources import campaign_sources
from campaign.graphics.serving import client_has
from campaign.graphics.views.manage import _campaign, _card_or_404, _prerender_later, bp
from campaign.graphics.views.manage_pages import (
    Page,
    editor_page,
    fill_editor,
    local_time,
    preview_data_uri,
    saved_image,
    saved_message,
)
from campaign.i18n.negotiation import native_name
from campaign.i18n.web import supported_locales
from campaign.organizers.access import admin_required

# --- Content editor: card images --------------------------------------------------------------


@bp.get("/content/<int:card_id>/card.png")
def content_card(card_id: int) -> Response:
    """A pair's card for organizers only: its saved text, or its pending edit (?version=)."""
    campaign = _campaign()
    card = _card_or_404(card_id)
    preset = request.args.get("preset", "og")
    version = request.args.get("version", "saved")
    if preset not in PRESETS or version not in ("saved", "pending"):
        abort(404)
    texts = card.texts()
    if version == "pending":
        pending = pending_revision(card)
        if pending is None:
            abort(404)
        texts = pending.texts()
    key = unpublished_card_key(campaign, texts, card.slug, preset)
    headers = {"Cache-Control": "private, no-cache", "ETag": f'"{key}"'}
    if client_has(request.headers.get("If-None-Match"), key):
        return Response(status=304, headers=headers)
    try:
        png = unpublished_card_png(campaign, texts, card.slug, preset)
    except cardrender.TextDoesNotFit:
        abort(404)
    return Response(png, mimetype="image/png", headers=headers)


# --- Content editor: the list and the editor page ---------------------------------------------


@bp.get("/content")
def content_index() -> str:
    """The campaign's myth/fact pairs in order, with their state and actions."""
    campaign = _campaign()
    cards = list(db.session.scalars(facts_query(campaign.id)))
    return render_template(
        "manage/content/index.html",
        cards=cards,
        action=ToggleForm(),
        pending=pending_revisions(campaign.id),
        thumbs={c.id: saved_image(campaign, c, "og") for c in cards},
        when=local_time(campaign),
        translation_locales=[
            (code, native_name(code)) for code in translatable_locales(supported_locales())
        ],
    )


def _fact_form(campaign: Campaign) -> FactCardForm:
    """The pair form, offering the campaign's sources."""
    form = FactCardForm()
    form.set_sources(campaign_sources(campaign.id))
    return form


def _editor(card: FactCard | None) -> Page | BaseResponse:
    """Show the editor, or preview, add or save the pair (redirecting once saved)."""
    campaign = _campaign()
    form = _fact_form(campaign)
    if request.method == "GET":
        pending = pending_revision(card) if card is not None else None
        shown = fill_editor(campaign, form, card, pending)
        return editor_page(campaign, form, card, pending, shown)
    if not form.validate_on_submit():
        abort(400)  # only the CSRF token can fail here
    data = form.to_input()
    preview_src, status = None, 200
    try:
        if request.form.get("action") == "preview":
            validate_content(campaign, data, preview=True)
            preview_src = preview_data_uri(campaign, form)
        elif card is None:
            create_fact(campaign, data)
            db.session.commit()
            flash(gettext("Added. An admin must approve it before it is public."), "success")
            return redirect(url_for("graphics_manage.content_index"), 303)
        else:
            outcome = save_fact(campaign, card, data, current_user, utcnow())
            db.session.commit()
            flash(saved_message(outcome, card), "success")
            anchor = f"#fact-{card.id}"
            return redirect(url_for("graphics_manage.content_index") + anchor, 303)
    except ContentInvalid as exc:
        db.session.rollback()
        bind_errors(form, exc)
        status = 400
    except ContentError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        status = 409
    pending = pending_revision(card) if card is not None else None
    return editor_page(campaign, form, card, pending, preview_src, status)


@bp.route("/content/new", methods=["GET", "POST"])
def content_new() -> Page | BaseResponse:
    """Add a myth/fact pair (it waits for an admin's approval)."""
    return _editor(None)


@bp.route("/content/<int:card_id>/edit", methods=["GET", "POST"])
def content_edit(card_id: int) -> Page | BaseResponse:
    """Edit a pair, or propose an edit to one that has been public."""
    return _editor(_card_or_404(card_id))


@bp.post("/content/preview")
def content_preview() -> Response | tuple[Response, int]:
    """The live preview: the unsaved text as a PNG, or 422 with what to cut (JSON)."""
    campaign = _campaign()
    form = _fact_form(campaign)
    if not form.validate_on_submit():
        abort(400)
    data = form.to_input()
    try:
        validate_content(campaign, data, preview=True)
    except ContentInvalid as exc:
        return jsonify(errors=exc.errors, cut=exc.cut), 422
    png = preview_png(campaign, data, form.chosen_preset())
    response = Response(png, mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response


def _revision_action(card_id: int, action: str) -> BaseResponse:
    """Approve or discard the pending edit the admin looked at (named by the form)."""
    card = _card_or_404(card_id)
    form = RevisionDecisionForm()
    if not form.validate_on_submit():
        abort(400)
    campaign = _campaign()
    try:
        if action == "approve":
            approve_revision(campaign, card, form.chosen_revision(), current_user, utcnow())
            if card.is_approved:
                message = gettext("Edit approved: the public page and its cards now show it.")
            else:
                message = gettext("Edit approved. The pair is still not public.")
        else:
            discard_revision(card, form.chosen_revision(), current_user, utcnow())
            message = gettext("Edit discarded: the pair keeps its current text.")
    except ContentError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("graphics_manage.content_edit", card_id=card_id), 303)
    db.session.commit()
    if card.is_approved:
        _prerender_later(campaign.id)
    flash(message, "success")
    return redirect(url_for("graphics_manage.content_index") + f"#fact-{card_id}", 303)


@bp.post("/content/<int:card_id>/edit/approve")
@admin_required
def approve_edit(card_id: int) -> BaseResponse:
    """Publish a pair's pending edit (admins)."""
    return _revision_action(card_id, "approve")


@bp.post("/content/<int:card_id>/edit/discard")
@admin_required
def discard_edit(card_id: int) -> BaseResponse:
    """Drop a pair's pending edit (admins)."""
    return _revision_action(card_id, "discard")


def _content_action(card_id: int, action: str) -> BaseResponse:
    """Approve, withdraw, delete or move a pair, then back to the list with what happened."""
    card = _card_or_404(card_id)
    if not ToggleForm().validate_on_submit():
        abort(400)
    campaign = _campaign()
    now = utcnow()
    try:
        if action == "approve":
            again = card.is_withdrawn
            approve_fact(campaign, card, current_user, now)
            message = (
                gettext("Published again: the pair is back on the public gallery.")
                if again
                else gettext("Approved: the pair is on the public gallery.")
            )
        elif action == "unapprove":
            withdraw_fact(card, current_user, now)
            message = gettext(
                "Withdrawn: the pair is off the site. Its page and card links now tell "
                "visitors it was withdrawn, and its card files are deleted."
            )
        elif action == "delete":
            public = card.was_published
            delete_fact(card, current_user, now)
            message = (
                gettext("Deleted. Links already shared now tell visitors the pair was withdrawn.")
                if public
                else gettext("Deleted.")
            )
        else:
            move_fact(card, -1 if action == "up" else 1)
            message = gettext("Order changed.")
    except ContentError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        if action in ("approve", "up", "down") and card.is_approved:
            _prerender_later(campaign.id)
        flash(message, "success")
    anchor = f"#fact-{card_id}" if action in ("up", "down", "approve", "unapprove") else ""
    return redirect(url_for("graphics_manage.content_index") + anchor, 303)


@bp.post("/content/<int:card_id>/approve")
@admin_required
def approve(card_id: int) -> BaseResponse:
    """Make a pair public, or public again after a withdrawal (admins)."""
    return _content_action(card_id, "approve")


@bp.post("/content/<int:card_id>/unapprove")
@admin_required
def unapprove(card_id: int) -> BaseResponse:
    """Withdraw a public pair: its page and cards answer 410 (admins)."""
    return _content_action(card_id, "unapprove")


@bp.post("/content/<int:card_id>/up")
def move_up(card_id: int) -> BaseResponse:
    """Move a pair one place up the gallery."""
    return _content_action(card_id, "up")


@bp.post("/content/<int:card_id>/down")
def move_down(card_id: int) -> BaseResponse:
    """Move a pair one place down the gallery."""
    return _content_action(card_id, "down")


@bp.post("/content/<int:card_id>/delete")
def delete(card_id: int) -> BaseResponse:
    """Delete a pair (one that has been public only by an admin, and it answers 410)."""
    return _content_action(card_id, "delete")
