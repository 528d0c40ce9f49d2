"""The public registration form, with its honeypot and signed render time."""

from __future__ import annotations

import time

from flask import current_app
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from wtforms import BooleanField, EmailField, HiddenField, StringField
from wtforms.validators import Length

from campaign.signups.models import NAME_MAX

FORM_MAX_AGE = 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="signup-form-started")


def started_token(slug: str) -> str:
    """A signed note of which event's form was rendered when, for the minimum fill time."""
    return _serializer().dumps(slug)


class SignupForm(FlaskForm):
    """The public registration form.

    Its CSRF token is checked once, by the app-wide CSRFProtect before the view runs;
    the form itself does not generate or check a second one (the template renders
    `csrf_token()`), which keeps the busiest POST of the day cheaper.
    """

    class Meta:
        csrf = False

    name = StringField(
        "Your name",
        validators=[Length(max=NAME_MAX * 4)],
        description="As you'd like it on your badge.",
    )
    email = EmailField(
        "Email",
        validators=[Length(max=1000)],
        description="We send your confirmation and reminders here.",
    )
    keep_informed = BooleanField(
        "Keep me informed about the campaign (you can stop any time)", default=False
    )
    # Honeypot: hidden from people, tempting for bots. Any value means a bot.
    website = StringField("Leave this field empty", validators=[Length(max=1000)])
    started = HiddenField()
    ref = HiddenField()

    def bot_verdict(self, slug: str) -> str | None:
        """'honeypot', 'too-fast' or 'bad-token' for bot-like submissions, else None."""
        if self.website.data:
            return "honeypot"
        try:
            value, signed_at = _serializer().loads(
                self.started.data or "", max_age=FORM_MAX_AGE, return_timestamp=True
            )
        except SignatureExpired:
            return None  # an old tab: treated as a person, the form is re-rendered
        except BadSignature:
            return "bad-token"
        if value != slug:
            return "bad-token"
        minimum = float(current_app.config["SIGNUP_MIN_SECONDS"])
        if time.time() - signed_at.timestamp() < minimum:
            return "too-fast"
        return None
