"""The public registration form, with its honeypot and its signed one-time form token."""

from __future__ import annotations

from flask_babel import lazy_gettext
from wtforms import BooleanField, EmailField, HiddenField, StringField
from wtforms.validators import Length

from campaign.core.forms import Form
from campaign.signups.models import NAME_MAX


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
        validators=[Length(max=NAME_MAX * 4)],
        description=lazy_gettext("As you'd like it on your badge."),
    )
    email = EmailField(
        lazy_gettext("Email"),
        validators=[Length(max=1000)],
        description=lazy_gettext("We send your confirmation and reminders here."),
    )
    keep_informed = BooleanField(
        lazy_gettext("Keep me informed about the campaign (you can stop any time)"), default=False
    )
    # Honeypot: hidden from people, tempting for bots. Any value means a bot.
    website = StringField(lazy_gettext("Leave this field empty"), validators=[Length(max=1000)])
    # The signed one-time form token (campaign.signups.guard); named for when it was made.
    started = HiddenField()
    ref = HiddenField()


class ResendForm(Form):
    """ "Send the mail again" on the page after registering: one address, and a honeypot."""

    email = EmailField(
        lazy_gettext("Your email address"),
        validators=[Length(max=1000)],
        description=lazy_gettext("The address you registered with."),
    )
    website = StringField(lazy_gettext("Leave this field empty"), validators=[Length(max=1000)])
