"""Forms for the content editor, the card theme and the logo upload."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.fields import ColorField

from campaign.graphics.services import (
    PRESET_LABELS,
    PRESET_ORDER,
    THEME_FIELDS,
    THEME_LABELS,
    ContentInput,
)
from campaign.graphics.specs import PRESETS, Theme


class FactCardForm(FlaskForm):
    """One myth/fact pair. Length is checked by measuring the cards, not by a fixed limit."""

    myth = TextAreaField(
        "Myth",
        description="The misconception, as people say it. It is shown struck through.",
    )
    fact = TextAreaField(
        "Fact",
        description="What the source says instead. Say nothing the source does not say.",
    )
    source_quote = TextAreaField(
        "Source sentence",
        description="The sentence of the article the fact rests on, copied word for word.",
    )
    source_title = StringField("Source title", description="Shown on every card as “Source: …”.")
    slug = StringField(
        "Short name",
        description="Used in addresses and download file names, e.g. party-drug-only. "
        "Leave empty to make one from the myth.",
    )
    preview_preset = SelectField(
        "Preview size",
        choices=[
            SelectChoice(
                name, f"{PRESET_LABELS[name]} ({PRESETS[name].width} × {PRESETS[name].height})"
            )
            for name in PRESET_ORDER
        ],
        default="square",
        validate_choice=False,
    )

    def to_input(self) -> ContentInput:
        return ContentInput(
            myth=self.myth.data or "",
            fact=self.fact.data or "",
            source_quote=self.source_quote.data or "",
            source_title=self.source_title.data or "",
            slug=self.slug.data or "",
        )

    def chosen_preset(self) -> str:
        value = self.preview_preset.data
        return value if value in PRESETS else "square"


class ThemeForm(FlaskForm):
    """The five card colours."""

    background = ColorField(THEME_LABELS["background"], description="Behind everything.")
    text = ColorField(THEME_LABELS["text"], description="Main text on the background.")
    primary = ColorField(THEME_LABELS["primary"], description="The fact panel and number panel.")
    on_primary = ColorField(THEME_LABELS["on_primary"], description="Text on those panels.")
    accent = ColorField(
        THEME_LABELS["accent"],
        description="The top stripe, labels and highlights (also text on the background).",
    )

    def fill_from(self, theme: Theme) -> None:
        for name in THEME_FIELDS:
            getattr(self, name).data = getattr(theme, name)

    def to_theme(self) -> Theme:
        return Theme(**{name: (getattr(self, name).data or "").strip() for name in THEME_FIELDS})


class LogoForm(FlaskForm):
    """The logo upload (checked and re-encoded by services.clean_logo)."""

    logo = FileField(
        "Logo file",
        description="PNG, JPEG or WebP, at most 5 MB and 25 megapixels. A PNG with a "
        "transparent background looks best. We store a cleaned copy without metadata.",
        render_kw={"accept": "image/png,image/jpeg,image/webp"},
    )
