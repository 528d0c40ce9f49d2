"""The campaign settings form."""

from __future__ import annotations

from flask_babel import lazy_gettext
from wtforms import (
    DateField,
    EmailField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, Optional

from campaign.campaigns.services import CampaignSettings
from campaign.core.forms import Form
from campaign.core.timeutil import timezone_names


class CampaignSettingsForm(Form):
    name = StringField(lazy_gettext("Campaign name"), validators=[InputRequired()])
    day = DateField(
        lazy_gettext("Date of the day"),
        validators=[InputRequired()],
        description=lazy_gettext("The countdown and the countdown card count down to this date."),
    )
    timezone = SelectField(
        lazy_gettext("Campaign time zone"),
        choices=[],
        validate_choice=False,
        description=lazy_gettext("Where the day is counted from."),
    )
    tagline = StringField(lazy_gettext("Tagline"))
    hashtag = StringField(
        lazy_gettext("Hashtag"),
        description=lazy_gettext(
            "Shown on the share cards, e.g. %(example)s.", example="#KetamineDay"
        ),
    )
    disclaimer = TextAreaField(
        lazy_gettext("Disclaimer"),
        validators=[InputRequired()],
        description=lazy_gettext("Shown on every public page and card."),
    )
    about = TextAreaField(
        lazy_gettext("About the campaign"), description=lazy_gettext("Shown on the home page.")
    )
    contact_email = EmailField(
        lazy_gettext("Contact email"),
        validators=[Optional(), Email(check_deliverability=False), Length(max=254)],
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = [
            SelectChoice(name, name.replace("_", " ")) for name in timezone_names()
        ]

    def to_settings(self) -> CampaignSettings:
        return CampaignSettings(
            name=self.name.data or "",
            day=self.day.data,
            timezone=self.timezone.data or "",
            tagline=self.tagline.data or "",
            hashtag=self.hashtag.data or "",
            disclaimer=self.disclaimer.data or "",
            about=self.about.data or "",
            contact_email=self.contact_email.data or "",
        )
