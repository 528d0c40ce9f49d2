"""Organizer forms about mail: broadcasts."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

AUDIENCES = {
    "confirmed": "People with a place",
    "waitlisted": "People on the waitlist",
    "active": "Everyone registered (places and waitlist)",
}


class BroadcastForm(FlaskForm):
    audience = RadioField(
        "Send to",
        choices=[SelectChoice(value, label) for value, label in AUDIENCES.items()],
        default="confirmed",
    )
    subject = StringField("Subject", validators=[InputRequired(), Length(max=150)])
    body = TextAreaField(
        "Message",
        validators=[InputRequired(), Length(max=5000)],
        description="Plain text. Leave a blank line between paragraphs.",
    )
