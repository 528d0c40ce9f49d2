"""What the organizer pages of share graphics show: the editor's card images and preview,
the editor page and the theme page (built here, served by views.manage)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import render_template, url_for
from flask_babel import gettext

from campaign import cardrender
from campaign.campaigns.models import Campaign
from campaign.cardrender import PRESETS
from campaign.core.forms import ToggleForm, bind_errors
from campaign.core.timeutil import format_local, utcnow
from campaign.graphics.forms import (
    FactCardForm,
    LogoForm,
    PhotoForm,
    RevisionDecisionForm,
    ThemeForm,
)
from campaign.graphics.models import FactCard, FactRevision, FactTexts
from campaign.graphics.services.cardfit import texts_fit_problems
from campaign.graphics.services.cardspecs import OG_PRESET
from campaign.graphics.services.content import (
    ContentInvalid,
    approved_facts,
    preview_png,
    validate_content,
)
from campaign.graphics.services.publication import (
    PROPOSED,
    PUBLISHED,
    SET_ASIDE,
    UNCHANGED,
    revision_history,
)
from campaign.graphics.services.refs import countdown_refs, fact_refs_if_fits, unpublished_card_key
from campaign.graphics.services.theme import campaign_theme, contrast_table, is_default_theme

Page = tuple[str, int]  # a rendered page and its status


def local_time(campaign: Campaign) -> Callable[[datetime], str]:
    """Template helper: an instant in the campaign's zone, with its abbreviation."""
    return lambda instant: format_local(instant, campaign.timezone)


@dataclass(frozen=True)
class EditorImage:
    """A card image on the organizer side (a public card, or one drawn for organizers)."""

    url: str
    width: int
    height: int


def unpublished_image(
    campaign: Campaign, card: FactCard, version: str, texts: FactTexts, preset: str
) -> EditorImage | None:
    """The organizers-only card of a draft, a withdrawn pair or a pending edit (None when
    the text does not fit the cards)."""
    if texts_fit_problems(campaign, texts, card.slug):
        return None
    key = unpublished_card_key(campaign, texts, card.slug, preset)
    url = url_for(
        "graphics_manage.content_card", card_id=card.id, version=version, preset=preset, v=key
    )
    return EditorImage(url, PRESETS[preset].width, PRESETS[preset].height)


def saved_image(campaign: Campaign, card: FactCard, preset: str) -> EditorImage | None:
    """The card of the pair's saved text: its public card when it is live."""
    if card.is_approved:
        ref = (fact_refs_if_fits(card) or {}).get(preset)
        return EditorImage(ref.url, ref.width, ref.height) if ref else None
    return unpublished_image(campaign, card, "saved", card.texts(), preset)


def preview_data_uri(campaign: Campaign, form: FactCardForm) -> str | None:
    """The form's unsaved text drawn as a card, as a data: URI (None when it does not fit)."""
    data = form.to_input()
    try:
        validate_content(campaign, data, preview=True)
        png = preview_png(campaign, data, form.chosen_preset())
    except (ContentInvalid, cardrender.TextDoesNotFit, ValueError):
        return None
    return "data:image/png;base64," + base64.b64encode(png).decode()


def saved_message(outcome: str, card: FactCard) -> str:
    """What the editor says after a save, by what save_fact did."""
    return str(_saved_message(outcome, card))


def _saved_message(outcome: str, card: FactCard) -> object:
    if outcome == PUBLISHED:
        return gettext("Published: the public page and its cards now show your changes.")
    if outcome == PROPOSED:
        if card.is_approved:
            return gettext(
                "Edit proposed. The public page keeps the approved version until an admin "
                "approves your edit."
            )
        return gettext("Edit proposed. An admin must approve it.")
    if outcome == SET_ASIDE:
        return gettext("The live version stays as it was; the pending edit was set aside.")
    if outcome == UNCHANGED:
        return gettext("Nothing to save: the text is the same as before.")
    if card.is_withdrawn:
        return gettext("Saved. The pair stays withdrawn until an admin publishes it again.")
    return gettext("Saved.")


def fill_editor(
    campaign: Campaign, form: FactCardForm, card: FactCard | None, pending: FactRevision | None
) -> str | None:
    """Fill the form with the pair's text (its pending edit first); returns the URL of the
    card it shows, or None (then the form says how much to cut if the text stopped fitting)."""
    if card is None:
        return None
    texts = pending.texts() if pending is not None else card.texts()
    form.myth.data, form.fact.data = texts.myth, texts.fact
    form.source_quote.data = texts.source_quote
    form.reason.data = texts.reason
    form.source_id.data = str(texts.source_id) if texts.source_id is not None else ""
    form.slug.data = card.slug
    preset = form.chosen_preset()
    if pending is not None:
        saved = unpublished_image(campaign, card, "pending", pending.texts(), preset)
    else:
        saved = saved_image(campaign, card, preset)
    if saved is None:  # it stopped fitting: say how much to cut right away
        try:
            validate_content(campaign, form.to_input(), preview=True)
        except ContentInvalid as exc:
            bind_errors(form, exc)
    return saved.url if saved else None


def editor_page(
    campaign: Campaign,
    form: FactCardForm,
    card: FactCard | None,
    pending: FactRevision | None,
    preview_src: str | None,
    status: int = 200,
) -> Page:
    """The editor page: the form, the preview, and a pending edit beside the live text."""
    live_image = pending_image = None
    if card is not None and pending is not None:
        live_image = saved_image(campaign, card, "og")
        pending_image = unpublished_image(campaign, card, "pending", pending.texts(), "og")
    return (
        render_template(
            "manage/content/edit.html",
            form=form,
            card=card,
            pending=pending,
            live_image=live_image,
            pending_image=pending_image,
            decision=RevisionDecisionForm(formdata=None),
            history=revision_history(card) if card is not None else [],
            preview_src=preview_src,
            when=local_time(campaign),
        ),
        status,
    )


def theme_page(
    campaign: Campaign,
    form: ThemeForm | None = None,
    logo_form: LogoForm | None = None,
    status: int = 200,
    photo_form: PhotoForm | None = None,
) -> Page:
    """The theme page: colours with their contrast, sample cards, and the logo."""
    theme = campaign_theme(campaign)
    if form is None:
        form = ThemeForm(formdata=None)
        form.fill_from(theme)
    sample = countdown_refs(campaign, utcnow()).get(OG_PRESET)
    facts = approved_facts(campaign.id, 1)
    fact_sample = (fact_refs_if_fits(facts[0]) or {}).get("og") if facts else None
    return (
        render_template(
            "manage/campaign/theme.html",
            form=form,
            logo_form=logo_form or LogoForm(formdata=None),
            action=ToggleForm(formdata=None),
            contrast=contrast_table(form.to_theme()),
            samples=[s for s in (fact_sample, sample) if s is not None],
            has_logo=bool(campaign.logo_path),
            logo_url=url_for("graphics_manage.logo") if campaign.logo_path else None,
            photo_form=photo_form or PhotoForm(formdata=None),
            has_photo=bool(campaign.photo_path),
            photo_url=url_for("graphics_manage.photo") if campaign.photo_path else None,
            is_default=is_default_theme(theme),
        ),
        status,
    )
