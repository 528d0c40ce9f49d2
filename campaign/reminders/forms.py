"""The reminder settings form of an event."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import Length


class ReminderSettingsForm(FlaskForm):
    is_reminders_enabled = BooleanField("Send reminders before the event")
    offsets = StringField(
        "When",
        validators=[Length(max=100)],
        description="Times before the start, separated by commas: 7d, 1d, 2h or 30m.",
    )
    is_thank_you_enabled = BooleanField("Send a thank-you note after the event")
