"""Forms for the content editor, the card theme and the logo upload."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.fields import ColorField, DateField, URLField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from campaign.cardrender import PRESETS, Theme
from campaign.core.forms import Form
from campaign.graphics.models import FACT_MAX, MYTH_MAX, Source
from campaign.graphics.services.cardspecs import PRESET_LABELS, PRESET_ORDER
from campaign.graphics.services.content import ContentInput
from campaign.graphics.services.sources import SourceInput
from campaign.graphics.services.theme import THEME_FIELDS, THEME_LABELS


class FactCardForm(Form):
    """One myth/fact pair. Length is checked by measuring the cards, not by a fixed limit."""

    myth = TextAreaField(
        lazy_gettext("Myth"),
        description=lazy_gettext(
            "The misconception, as people say it. Cards show it after the fact, "
            "under a “Myth” warning."
        ),
    )
    fact = TextAreaField(
        lazy_gettext("Fact"),
        description=lazy_gettext(
            "What the source says instead. Say nothing the source does not say."
        ),
    )
    source_quote = TextAreaField(
        lazy_gettext("Source sentence"),
        description=lazy_gettext(
            "The sentence of the source the fact rests on, copied word for word: "
            "it is checked against the source's text."
        ),
    )
    reason = TextAreaField(
        lazy_gettext("Reason (a sentence of the source, copied exactly)"),
        description=lazy_gettext(
            "Optional: the source's own words on why the myth is wrong. Pages show "
            "it after the myth; cards draw it where there is room. It is checked against the "
            "source's text."
        ),
    )
    source_id = SelectField(
        lazy_gettext("Source"),
        description=lazy_gettext("Every card shows its title and address."),
        choices=[],
        validate_choice=False,
    )
    slug = StringField(
        lazy_gettext("Short name"),
        description=lazy_gettext(
            "Used in addresses and download file names, e.g. %(example)s. "
            "Leave empty to make one from the myth.",
            example="party-drug-only",
        ),
    )
    preview_preset = SelectField(
        lazy_gettext("Preview size"),
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
        """What the organizer typed, as the content services take it."""
        return ContentInput(
            myth=self.myth.data or "",
            fact=self.fact.data or "",
            source_quote=self.source_quote.data or "",
            reason=self.reason.data or "",
            slug=self.slug.data or "",
            source_id=self.chosen_source(),
        )

    def set_sources(self, sources: list[Source]) -> None:
        """Offer the campaign's sources (the first is the default)."""
        self.source_id.choices = [SelectChoice(str(s.id), s.title) for s in sources]

    def chosen_source(self) -> int | None:
        """The id of the chosen source (None: the campaign's default)."""
        value = str(self.source_id.data or "")
        return int(value) if value.isdigit() and len(value) <= 9 else None

    def chosen_preset(self) -> str:
        """The preview size asked for ("square" when it is not a preset)."""
        value = self.preview_preset.data
        return value if value in PRESETS else "square"


class RevisionDecisionForm(Form):
    """Approve or discard a pending edit: names the revision the admin looked at."""

    revision_id = HiddenField(validators=[InputRequired(), Regexp(r"^[0-9]{1,12}$")])

    def chosen_revision(self) -> int:
        """The id of the pending edit the admin decided on."""
        return int(self.revision_id.data)


class ThemeForm(Form):
    """The five card colours."""

    background = ColorField(
        THEME_LABELS["background"], description=lazy_gettext("Behind everything.")
    )
    text = ColorField(
        THEME_LABELS["text"], description=lazy_gettext("Main text on the background.")
    )
    primary = ColorField(
        THEME_LABELS["primary"], description=lazy_gettext("The fact panel and number panel.")
    )
    on_primary = ColorField(
        THEME_LABELS["on_primary"], description=lazy_gettext("Text on those panels.")
    )
    accent = ColorField(
        THEME_LABELS["accent"],
        description=lazy_gettext(
            "The top stripe, labels and highlights (also text on the background)."
        ),
    )

    def fill_from(self, theme: Theme) -> None:
        """Show the theme's colours in the fields."""
        for name in THEME_FIELDS:
            getattr(self, name).data = getattr(theme, name)

    def to_theme(self) -> Theme:
        """The colours typed, as a Theme (checked by services.theme.update_theme)."""
        return Theme(**{name: (getattr(self, name).data or "").strip() for name in THEME_FIELDS})


class LogoForm(Form):
    """The logo upload (checked and re-encoded by services.theme.clean_logo)."""

    logo = FileField(
        lazy_gettext("Logo file"),
        description=lazy_gettext(
            "PNG, JPEG or WebP, at most 5 MB and 25 megapixels. A PNG with a "
            "transparent background looks best. We store a cleaned copy without metadata."
        ),
        render_kw={"accept": "image/png,image/jpeg,image/webp"},
    )


class SourceForm(Form):
    """A source the facts come from (checked by services.sources.validate_source)."""

    title = StringField(
        lazy_gettext("Title"),
        description=lazy_gettext("As published. Every card citing it shows it."),
    )
    author = StringField(
        lazy_gettext("Author or publisher"),
        description=lazy_gettext("Leave empty if the source names none."),
    )
    published_on = DateField(
        lazy_gettext("Date"),
        description=lazy_gettext("When it was published, if the source says."),
        validators=[Optional()],
    )
    url = URLField(
        lazy_gettext("Address (URL)"),
        description=lazy_gettext(
            "Where anyone can read it. Cards show it short, e.g. %(example)s.",
            example="example.org/article",
        ),
    )
    text = TextAreaField(
        lazy_gettext("Full text"),
        description=lazy_gettext(
            "The whole text, pasted. Every pair's quote is checked against it."
        ),
        render_kw={"rows": 16},
    )

    def fill_from(self, source: Source) -> None:
        """Show the source's values in the fields."""
        self.title.data, self.author.data = source.title, source.author
        self.published_on.data, self.url.data = source.published_on, source.url
        self.text.data = source.text

    def to_input(self) -> SourceInput:
        """What the organizer typed, as services.sources takes it."""
        return SourceInput(
            title=self.title.data or "",
            text=self.text.data or "",
            author=self.author.data or "",
            published_on=self.published_on.data,
            url=self.url.data or "",
        )


class PhotoForm(Form):
    """The background photo upload (checked and re-encoded by services.photo.clean_photo)."""

    photo = FileField(
        lazy_gettext("Photo file"),
        description=lazy_gettext(
            "PNG, JPEG or WebP, at most 5 MB and 25 megapixels. It fills the card "
            "behind a shade dark enough for the text; a calm photo without text works best. "
            "We store a cleaned copy without metadata (no location)."
        ),
        render_kw={"accept": "image/png,image/jpeg,image/webp"},
    )


class FactTranslationForm(Form):
    """A pair's myth, fact and reason in another language (the quote is never translated)."""

    myth = TextAreaField(lazy_gettext("Myth"), validators=[InputRequired(), Length(max=MYTH_MAX)])
    fact = TextAreaField(lazy_gettext("Fact"), validators=[InputRequired(), Length(max=FACT_MAX)])
    reason = TextAreaField(
        lazy_gettext("Why it is wrong"),
        validators=[Optional()],
        description=lazy_gettext(
            "The translation of the pair's reason; leave it empty when the pair has none."
        ),
    )
