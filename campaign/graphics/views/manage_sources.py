"""The sources organizers keep: the texts the myth/fact pairs quote, with their full text.
Routes on the graphics_manage blueprint. Thin: parse, call services, render."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from campaign.core.forms import bind_errors
from campaign.extensions import db
from campaign.graphics.forms import SourceForm
from campaign.graphics.models import Source
from campaign.graphics.services.sources import (
    SourceError,
    SourceInvalid,
    campaign_source,
    campaign_sources,
    citing_pairs,
    create_source,
    update_source,
)
from campaign.graphics.views.manage import _campaign, bp

Page = tuple[str, int]


@bp.get("/sources")
def sources() -> str:
    """The campaign's sources, with how many pairs cite each."""
    campaign = _campaign()
    rows = [(s, len(citing_pairs(s))) for s in campaign_sources(campaign.id)]
    return render_template("manage/sources/index.html", rows=rows)


def _source_page(form: SourceForm, source: Source | None, status: int = 200) -> Page:
    """The add/edit page of a source."""
    pairs = citing_pairs(source) if source is not None else []
    page = render_template("manage/sources/edit.html", form=form, source=source, pairs=pairs)
    return page, status


def _source_editor(source: Source | None) -> Page | BaseResponse:
    """Show the source form, or add or save the source (redirecting once saved)."""
    campaign = _campaign()
    form = SourceForm()
    if request.method == "GET":
        if source is not None:
            form.fill_from(source)
        return _source_page(form, source)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _source_page(form, source, 400)  # a date that is not a date
    try:
        if source is None:
            create_source(campaign, form.to_input())
            message = gettext("Source added. Pairs can now quote it.")
        elif update_source(campaign, source, form.to_input(), current_user):
            message = gettext("Source saved. Cards citing it show the change.")
        else:
            message = gettext("Nothing to save: the source is the same as before.")
    except SourceInvalid as exc:
        db.session.rollback()
        bind_errors(form, exc)
        return _source_page(form, source, 400)
    except SourceError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _source_page(form, source, 403)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("graphics_manage.sources"), 303)


@bp.route("/sources/new", methods=["GET", "POST"])
def source_new() -> Page | BaseResponse:
    """Add a source (title and full text required)."""
    return _source_editor(None)


@bp.route("/sources/<int:source_id>/edit", methods=["GET", "POST"])
def source_edit(source_id: int) -> Page | BaseResponse:
    """Edit a source (one that public cards cite: admins only)."""
    source = campaign_source(_campaign().id, source_id)
    if source is None:
        abort(404)
    return _source_editor(source)
