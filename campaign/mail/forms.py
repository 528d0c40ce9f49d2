"""Organizer forms about mail: broadcasts."""

from __future__ import annotations

from flask_babel import lazy_gettext
from wtforms import RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from campaign.core.forms import Form
from campaign.i18n.markers import N_

AUDIENCES = {
    "confirmed": N_("People with a place"),
    "waitlisted": N_("People on the waitlist"),
    "active": N_("Everyone registered (places and waitlist)"),
}


class BroadcastForm(Form):
    audience = RadioField(
        lazy_gettext("Send to"),
        choices=[SelectChoice(value, lazy_gettext(label)) for value, label in AUDIENCES.items()],
        default="confirmed",
    )
    subject = StringField(lazy_gettext("Subject"), validators=[InputRequired(), Length(max=150)])
    body = TextAreaField(
        lazy_gettext("Message"),
        validators=[InputRequired(), Length(max=5000)],
        description=lazy_gettext(
            "Formatting as in event descriptions: **bold**, *italic*, lists and links. "
            "Leave a blank line between paragraphs."
        ),
    )
