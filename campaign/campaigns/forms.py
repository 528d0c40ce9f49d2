"""The campaign settings form."""

from __future__ import annotations

from flask_wtf import FlaskForm
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
from campaign.core.timeutil import timezone_names


class CampaignSettingsForm(FlaskForm):
    name = StringField("Campaign name", validators=[InputRequired()])
    day = DateField(
        "Date of the day",
        validators=[InputRequired()],
        description="The countdown and the countdown card count down to this date.",
    )
    timezone = SelectField(
        "Campaign time zone",
        choices=[],
        validate_choice=False,
        description="Where the day is counted from.",
    )
    tagline = StringField("Tagline")
    hashtag = StringField("Hashtag", description="Shown on the share cards, e.g. #KetamineDay.")
    disclaimer = TextAreaField(
        "Disclaimer",
        validators=[InputRequired()],
        description="Shown on every public page and card.",
    )
    about = TextAreaField("About the campaign", description="Shown on the home page.")
    contact_email = EmailField(
        "Contact email",
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
