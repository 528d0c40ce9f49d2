"""The public registration form, with its honeypot and its signed one-time form token."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, EmailField, HiddenField, StringField
from wtforms.validators import Length

from campaign.core.forms import Form
from campaign.signups.models import NAME_MAX

# The longest input the form takes in each field (the service then checks the stored limits).
NAME_INPUT_MAX = NAME_MAX * 4
TEXT_INPUT_MAX = 1000
# What a checkbox sends for "not ticked", as WTForms' BooleanField reads it.
UNTICKED = ("", "false")


class SignupForm(Form):
    """The public registration form.

    Its CSRF token is checked once, by the app-wide CSRFProtect before the view runs;
    the form itself does not generate or check a second one (the template renders
    `csrf_token()`), which keeps the busiest POST of the day cheaper.
    """

    class Meta:
        csrf = False

    name = StringField(
        lazy_gettext("Your name"),
        validators=[Length(max=NAME_INPUT_MAX)],
        description=lazy_gettext("As you'd like it on your badge."),
    )
    email = EmailField(
        lazy_gettext("Email"),
        validators=[Length(max=TEXT_INPUT_MAX)],
        description=lazy_gettext("We send your confirmation and reminders here."),
    )
    keep_informed = BooleanField(
        lazy_gettext("Keep me informed about the campaign (you can stop any time)"), default=False
    )
    # Honeypot: hidden from people, tempting for bots. Any value means a bot.
    website = StringField(
        lazy_gettext("Leave this field empty"), validators=[Length(max=TEXT_INPUT_MAX)]
    )
    # The signed one-time form token (campaign.signups.guard); named for when it was made.
    started = HiddenField()
    ref = HiddenField()


@dataclass(frozen=True)
class SignupFields:
    """The registration form's fields as posted, read as SignupForm reads them, without
    building the form: most POSTs are registrations that need no form to answer, and
    building it (fields, translations, validators) was a tenth of the POST's CPU. The view
    builds SignupForm only to show the form again (tests/signups/test_form_fields.py
    holds the two to the same answers)."""

    name: str
    email: str
    keep_informed: bool
    website: str
    started: str
    ref: str

    @classmethod
    def read(cls, form: MultiDict[str, str]) -> SignupFields:
        """The posted fields (a missing one is empty, an unticked box False)."""
        return cls(
            name=form.get("name", ""),
            email=form.get("email", ""),
            keep_informed=form.get("keep_informed", "") not in UNTICKED,
            website=form.get("website", ""),
            started=form.get("started", ""),
            ref=form.get("ref", ""),
        )

    def is_valid(self) -> bool:
        """SignupForm.validate()'s answer: every field within its length."""
        return (
            len(self.name) <= NAME_INPUT_MAX
            and len(self.email) <= TEXT_INPUT_MAX
            and len(self.website) <= TEXT_INPUT_MAX
        )


class ResendForm(Form):
    """ "Send the mail again" on the page after registering: one address, a honeypot and
    the signed one-time form token (campaign.signups.guard) instead of a session's CSRF
    token, so the page sets no cookie."""

    class Meta:
        csrf = False

    email = EmailField(
        lazy_gettext("Your email address"),
        validators=[Length(max=1000)],
        description=lazy_gettext("The address you registered with."),
    )
    website = StringField(lazy_gettext("Leave this field empty"), validators=[Length(max=1000)])
    started = HiddenField()
