"""Forms for signing in and managing organizer accounts."""

from __future__ import annotations

from flask_babel import lazy_gettext
from wtforms import EmailField, PasswordField, RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from campaign.core.forms import Form
from campaign.organizers.services import PASSWORD_MAX, PASSWORD_MIN


class LoginForm(Form):
    email = EmailField(lazy_gettext("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        lazy_gettext("Password"), validators=[DataRequired(), Length(max=PASSWORD_MAX)]
    )


class InviteForm(Form):
    name = StringField(lazy_gettext("Name"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(
        lazy_gettext("Email"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )


class SetPasswordForm(Form):
    password = PasswordField(
        lazy_gettext("New password"),
        validators=[DataRequired(), Length(min=PASSWORD_MIN, max=PASSWORD_MAX)],
        description=lazy_gettext("At least %(count)s characters.", count=PASSWORD_MIN),
    )
    confirm = PasswordField(
        lazy_gettext("Repeat the password"),
        validators=[
            DataRequired(),
            EqualTo("password", message=lazy_gettext("The two passwords differ.")),
        ],
    )


class NotificationsForm(Form):
    """What an organizer hears about sign-ups and cancellations on their events."""

    mode = RadioField(lazy_gettext("Tell me about sign-ups and cancellations"), choices=[])

    def __init__(self, *args: object, **kwargs: object) -> None:
        from campaign.organizers.notifications import mode_labels

        super().__init__(*args, **kwargs)
        self.mode.choices = [SelectChoice(value, label) for value, label in mode_labels().items()]
