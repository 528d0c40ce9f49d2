"""The reminder settings form of an event."""

from __future__ import annotations

from flask_babel import lazy_gettext
from wtforms import BooleanField, StringField
from wtforms.validators import Length

from campaign.core.forms import Form


class ReminderSettingsForm(Form):
    is_reminders_enabled = BooleanField(lazy_gettext("Send reminders before the event"))
    offsets = StringField(
        lazy_gettext("When"),
        validators=[Length(max=100)],
        description=lazy_gettext(
            "Times before the start, separated by commas: %(examples)s.",
            examples="7d, 1d, 2h or 30m",
        ),
    )
    is_thank_you_enabled = BooleanField(lazy_gettext("Send a thank-you note after the event"))
