"""Share graphics on the site: /cards/<key>.png, the /facts gallery, the content editor and
the card theme. Thin: parse, call services, render."""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from typing import IO, Any

from flask import (
    Blueprint,
    Flask,
    Request,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.globals import request_ctx
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from campaign.campaigns.models import Campaign
from campaign.campaigns.services import current_campaign
from campaign.core.errors import render_error
from campaign.core.timeutil import utcnow
from campaign.core.urls import absolute_url
from campaign.extensions import db
from campaign.graphics import fonts, services
from campaign.graphics.forms import FactCardForm, LogoForm, ThemeForm
from campaign.graphics.models import FactCard
from campaign.graphics.render import TextDoesNotFit
from campaign.graphics.serving import IMMUTABLE, client_has
from campaign.graphics.specs import DEFAULT_THEME
from campaign.organizers.forms import ToggleForm
from campaign.organizers.views import admin_required

log = logging.getLogger(__name__)

bp = Blueprint("graphics", __name__)
manage_bp = Blueprint("graphics_manage", __name__, url_prefix="/manage")

# Uploads are at most 5 MB; the rest is room for the multipart envelope and the form fields.
MAX_REQUEST_BYTES = services.LOGO_MAX_BYTES + 512 * 1024


class UploadClosingRequest(Request):
    """A request that closes every upload buffer it opened, even for a malformed body.

    Werkzeug's multipart parser drops the buffers of parts it had already read when a later
    part is malformed (request.files is never set, so request.close() cannot reach them);
    they would linger until garbage collection. Logo uploads are the app's only file field.
    """

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        stream = super()._get_file_stream(
            total_content_length, content_type, filename, content_length
        )
        self.__dict__.setdefault("_upload_streams", []).append(stream)
        return stream

    def close(self) -> None:
        super().close()
        for stream in self.__dict__.pop("_upload_streams", []):
            stream.close()


def init_app(app: Flask) -> None:
    """Request size limit for logo uploads, and say whether complex scripts will render."""
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    if app.request_class is Request:  # leave a customised request class alone
        app.request_class = UploadClosingRequest
    message = fonts.raqm_status_message()
    if fonts.raqm_available():
        log.info(message)
    else:
        log.warning(message)


# --- /cards/<key>.png -------------------------------------------------------------------------


class _CookielessResponse(Response):
    """A public, immutable image never carries a cookie (shared caches would store it)."""

    def set_cookie(self, *args: Any, **kwargs: Any) -> None:
        return None

    def delete_cookie(self, *args: Any, **kwargs: Any) -> None:
        return None


def _leave_session_alone() -> None:
    """Answer without the visitor's session: nothing is read, refreshed or sent back.

    Flask saves (and re-sends) a permanent session on every response; swapping in a null
    session for this request skips that, and with it the Vary: Cookie header.
    """
    ctx = request_ctx._get_current_object()  # type: ignore[attr-defined]
    if hasattr(ctx, "_session"):
        ctx._session = current_app.session_interface.make_null_session(current_app)


@bp.get("/cards/<key>.png")
def card(key: str) -> Response:
    _leave_session_alone()
    served = services.served_card(key)
    if served is None:
        response = _CookielessResponse("Card not found.\n", 404, mimetype="text/plain")
        response.headers["Cache-Control"] = "public, max-age=60"
        return response
    headers = {
        "Cache-Control": IMMUTABLE,
        "ETag": f'"{key}"',
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if client_has(request.headers.get("If-None-Match"), key):
        return _CookielessResponse(status=304, headers=headers)
    response = _CookielessResponse(served.data, 200, mimetype="image/png", headers=headers)
    response.content_length = len(served.data)
    return response


@bp.after_app_request
def _register_card_keys(response: Response) -> Response:
    """Card keys the page pointed at are registered once the page is ready."""
    if response.status_code < 500:
        services.flush_pending()
    return response


# --- Public gallery ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FactView:
    """One approved pair with everything the gallery shows for it."""

    card: FactCard
    refs: dict[str, services.CardRef]
    page_url: str
    share: list[services.ShareLink]
    share_text: str

    @property
    def main(self) -> services.CardRef:
        return self.refs["square"]


def _fact_view(card: FactCard, campaign: Campaign) -> FactView | None:
    refs = services.fact_refs_if_fits(card)
    if refs is None:
        return None
    page_url = absolute_url("graphics.fact", slug=card.slug)
    text = services.fact_share_text(card, campaign)
    return FactView(
        card=card,
        refs=refs,
        page_url=page_url,
        share=services.share_links(page_url, text, subject=f"Myth and fact: {card.myth}"),
        share_text=text,
    )


def _fact_views(cards: list[FactCard], campaign: Campaign) -> list[FactView]:
    views = (_fact_view(card, campaign) for card in cards)
    return [view for view in views if view is not None]


def _public_campaign() -> Campaign:
    campaign = current_campaign()
    if campaign is None:
        abort(404)
    return campaign


@bp.get("/facts")
def facts() -> str:
    campaign = _public_campaign()
    items = _fact_views(services.approved_facts(campaign.id), campaign)
    og = items[0].refs[services.OG_PRESET] if items else None
    if og is None:
        og = services.countdown_refs(campaign, utcnow()).get(services.OG_PRESET)
    page_url = absolute_url("graphics.facts")
    return render_template(
        "graphics/facts.html",
        items=items,
        og=og,
        page_url=page_url,
        page_share=services.share_links(
            page_url, f"Myths and facts about ketamine. {campaign.hashtag}".strip()
        ),
        source_titles=sorted({i.card.source_title for i in items}),
    )


@bp.get("/facts/<slug>")
def fact(slug: str) -> str:
    campaign = _public_campaign()
    card = services.public_fact(campaign.id, slug)
    item = _fact_view(card, campaign) if card is not None else None
    if item is None:
        abort(404)
    return render_template("graphics/fact.html", item=item)


# Template helpers for pages of other features (event page, manage page, home page).


@bp.app_template_global("event_cards")
def _event_cards(event: Any) -> dict[str, services.CardRef]:
    return services.event_refs(event)


@bp.app_template_global("attending_cards")
def _attending_cards(registration: Any) -> dict[str, services.CardRef]:
    return services.attending_refs(registration)


@bp.app_template_global("attending_name_omitted")
def _attending_name_omitted(registration: Any) -> bool:
    return services.name_left_off(registration)


@bp.app_template_global("countdown_cards")
def _countdown_cards(campaign: Campaign) -> dict[str, services.CardRef]:
    return services.countdown_refs(campaign, utcnow())


@bp.app_template_global("featured_facts")
def _featured_facts(campaign: Campaign, limit: int = 3) -> list[FactView]:
    return _fact_views(services.approved_facts(campaign.id, limit), campaign)


@bp.app_template_global("share_links")
def _share_links(url: str, text: str, subject: str = "") -> list[services.ShareLink]:
    return services.share_links(url, text, subject)


@bp.app_template_global("event_share_text")
def _event_share_text(event: Any) -> str:
    return services.event_share_text(event)


# --- Organizer: content editor -----------------------------------------------------------------


@manage_bp.before_request
@login_required
def _require_login() -> None:
    """Every route here needs a signed-in organizer."""


@manage_bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge):  # type: ignore[no-untyped-def]
    message = (
        "That file is larger than 5 MB, the most a logo may be. "
        "Save it smaller (a PNG of a few hundred pixels is plenty) and upload it again."
    )
    if (
        request.endpoint == "graphics_manage.upload_logo"
        and current_user.is_authenticated
        and current_user.is_admin
        and current_campaign() is not None
    ):
        logo_form = LogoForm(formdata=None)
        logo_form.logo.errors = [message]
        return _theme_page(current_campaign(), logo_form=logo_form, status=413)
    return render_error(413, message)


def _campaign() -> Campaign:
    campaign = current_campaign()
    if campaign is None:
        abort(404)
    return campaign


def _card_or_404(card_id: int) -> FactCard:
    campaign = _campaign()
    card = db.session.get(FactCard, card_id)
    if card is None or card.campaign_id != campaign.id:
        abort(404)
    return card


@manage_bp.get("/content")
def content_index() -> str:
    campaign = _campaign()
    cards = list(db.session.scalars(services.facts_query(campaign.id)))
    return render_template(
        "manage/content/index.html",
        cards=cards,
        action=ToggleForm(),
        thumbs={c.id: (services.fact_refs_if_fits(c) or {}).get("og") for c in cards},
    )


def _preview_data_uri(campaign: Campaign, form: FactCardForm) -> str | None:
    try:
        png = services.preview_png(
            campaign,
            form.myth.data or "",
            form.fact.data or "",
            form.source_title.data or "",
            form.chosen_preset(),
        )
    except (TextDoesNotFit, ValueError):
        return None
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _editor(card: FactCard | None):  # type: ignore[no-untyped-def]
    campaign = _campaign()
    form = FactCardForm()
    preview_src = None
    form_error = None
    status = 200
    if request.method == "GET":
        if card is not None:
            form.myth.data, form.fact.data = card.myth, card.fact
            form.source_quote.data, form.source_title.data = card.source_quote, card.source_title
            form.slug.data = card.slug
        else:
            form.source_title.data = services.default_source_title()
    elif not form.validate_on_submit():
        abort(400)  # only the CSRF token can fail here
    else:
        data = form.to_input()
        try:
            if request.form.get("action") == "preview":
                services.validate_content(campaign, data, preview=True)
                preview_src = _preview_data_uri(campaign, form)
            elif card is None:
                card = services.create_fact(campaign, data)
                db.session.commit()
                flash("Added. An admin must approve it before it is public.", "success")
                return redirect(url_for("graphics_manage.content_index"), 303)
            else:
                withdrawn = services.update_fact(campaign, card, data)
                db.session.commit()
                if withdrawn:
                    flash(
                        "Saved. The change took it off the public site until an admin "
                        "approves it again.",
                        "success",
                    )
                else:
                    flash("Saved.", "success")
                return redirect(url_for("graphics_manage.content_index"), 303)
        except services.ContentInvalid as exc:
            db.session.rollback()
            for name, message in exc.errors.items():
                field = getattr(form, name, None)
                if field is not None and name != "form":
                    field.errors = [message]
                else:
                    form_error = message
            status = 400
    saved = None
    if card is not None and preview_src is None and request.method == "GET":
        saved = (services.fact_refs_if_fits(card) or {}).get(form.chosen_preset())
        if saved is None:  # it stopped fitting: say how much to cut right away
            try:
                services.validate_content(campaign, form.to_input(), preview=True)
            except services.ContentInvalid as exc:
                for name, message in exc.errors.items():
                    field = getattr(form, name, None)
                    if field is not None and name != "form":
                        field.errors = [message]
                    else:
                        form_error = message
    return (
        render_template(
            "manage/content/edit.html",
            form=form,
            card=card,
            preview_src=preview_src or (saved.url if saved else None),
            form_error=form_error,
        ),
        status,
    )


@manage_bp.route("/content/new", methods=["GET", "POST"])
def content_new():  # type: ignore[no-untyped-def]
    return _editor(None)


@manage_bp.route("/content/<int:card_id>/edit", methods=["GET", "POST"])
def content_edit(card_id: int):  # type: ignore[no-untyped-def]
    return _editor(_card_or_404(card_id))


@manage_bp.post("/content/preview")
def content_preview() -> Response:
    """The live preview: the unsaved text as a PNG, or 422 with what to cut (JSON)."""
    campaign = _campaign()
    form = FactCardForm()
    if not form.validate_on_submit():
        abort(400)
    data = form.to_input()
    try:
        services.validate_content(campaign, data, preview=True)
    except services.ContentInvalid as exc:
        return jsonify(errors=exc.errors, cut=exc.cut), 422  # type: ignore[return-value]
    png = services.preview_png(
        campaign, data.myth, data.fact, data.source_title, form.chosen_preset()
    )
    response = Response(png, mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response


def _content_action(card_id: int, action: str) -> Response:
    card = _card_or_404(card_id)
    if not ToggleForm().validate_on_submit():
        abort(400)
    campaign = _campaign()
    try:
        if action == "approve":
            services.approve_fact(campaign, card, current_user, utcnow())
            message = "Approved: the pair is on the public gallery."
        elif action == "unapprove":
            services.unapprove_fact(card, current_user)
            message = "Approval withdrawn: the pair is no longer public."
        elif action == "delete":
            services.delete_fact(card, current_user)
            message = "Deleted."
        else:
            services.move_fact(card, -1 if action == "up" else 1)
            message = "Order changed."
    except services.ContentError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(message, "success")
    anchor = f"#fact-{card_id}" if action in ("up", "down", "approve", "unapprove") else ""
    return redirect(url_for("graphics_manage.content_index") + anchor, 303)


@manage_bp.post("/content/<int:card_id>/approve")
@admin_required
def approve(card_id: int) -> Response:
    return _content_action(card_id, "approve")


@manage_bp.post("/content/<int:card_id>/unapprove")
@admin_required
def unapprove(card_id: int) -> Response:
    return _content_action(card_id, "unapprove")


@manage_bp.post("/content/<int:card_id>/up")
def move_up(card_id: int) -> Response:
    return _content_action(card_id, "up")


@manage_bp.post("/content/<int:card_id>/down")
def move_down(card_id: int) -> Response:
    return _content_action(card_id, "down")


@manage_bp.post("/content/<int:card_id>/delete")
def delete(card_id: int) -> Response:
    return _content_action(card_id, "delete")


# --- Organizer: theme and logo (admins) ----------------------------------------------------------


def _theme_page(
    campaign: Campaign,
    form: ThemeForm | None = None,
    logo_form: LogoForm | None = None,
    status: int = 200,
):  # type: ignore[no-untyped-def]
    theme = services.campaign_theme(campaign)
    if form is None:
        form = ThemeForm(formdata=None)
        form.fill_from(theme)
    sample = services.countdown_refs(campaign, utcnow()).get(services.OG_PRESET)
    facts = services.approved_facts(campaign.id, 1)
    fact_sample = (services.fact_refs_if_fits(facts[0]) or {}).get("og") if facts else None
    return (
        render_template(
            "manage/campaign/theme.html",
            form=form,
            logo_form=logo_form or LogoForm(formdata=None),
            action=ToggleForm(formdata=None),
            contrast=services.contrast_table(form.to_theme()),
            samples=[s for s in (fact_sample, sample) if s is not None],
            has_logo=bool(campaign.logo_path),
            logo_url=url_for("graphics_manage.logo") if campaign.logo_path else None,
            is_default=services.is_default_theme(theme),
        ),
        status,
    )


@manage_bp.route("/theme", methods=["GET", "POST"])
@admin_required
def theme():  # type: ignore[no-untyped-def]
    campaign = _campaign()
    if request.method == "GET":
        return _theme_page(campaign)
    form = ThemeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.update_theme(campaign, form.to_theme())
    except services.ThemeInvalid as exc:
        db.session.rollback()
        for name, message in exc.errors.items():
            getattr(form, name).errors = [message]
        return _theme_page(campaign, form=form, status=400)
    db.session.commit()
    flash("Theme saved. Every card uses the new colours from now on.", "success")
    return redirect(url_for("graphics_manage.theme"), 303)


@manage_bp.post("/theme/reset")
@admin_required
def reset_theme() -> Response:
    campaign = _campaign()
    if not ToggleForm().validate_on_submit():
        abort(400)
    services.update_theme(campaign, DEFAULT_THEME)
    db.session.commit()
    flash("Theme reset to the default colours.", "success")
    return redirect(url_for("graphics_manage.theme"), 303)


@manage_bp.post("/theme/logo")
@admin_required
def upload_logo():  # type: ignore[no-untyped-def]
    campaign = _campaign()
    logo_form = LogoForm()
    if not logo_form.validate_on_submit():
        abort(400)
    upload = logo_form.logo.data
    data = b""
    if upload is not None and getattr(upload, "filename", ""):
        data = upload.read(services.LOGO_MAX_BYTES + 1)
    try:
        services.save_logo(campaign, data)
    except services.LogoRejected as exc:
        db.session.rollback()
        logo_form.logo.errors = [str(exc)]
        return _theme_page(campaign, logo_form=logo_form, status=400)
    db.session.commit()
    flash("Logo saved. It appears on every card from now on.", "success")
    return redirect(url_for("graphics_manage.theme"), 303)


@manage_bp.post("/theme/logo/remove")
@admin_required
def remove_logo() -> Response:
    campaign = _campaign()
    if not ToggleForm().validate_on_submit():
        abort(400)
    services.remove_logo(campaign)
    db.session.commit()
    flash("Logo removed from the cards.", "success")
    return redirect(url_for("graphics_manage.theme"), 303)


@manage_bp.get("/theme/logo.png")
@admin_required
def logo() -> Response:
    """The stored (cleaned) logo, for the theme page."""
    campaign = _campaign()
    data = services.logo_bytes(campaign)
    if data is None:
        abort(404)
    return Response(data, mimetype="image/png")
