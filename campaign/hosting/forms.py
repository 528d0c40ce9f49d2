"""Hosting forms: the public proposal (the event form plus who proposes), the host's
edits, the reviewer's decisions and the admin's hosting settings."""

from __future__ import annotations

from flask_babel import lazy_gettext
from wtforms import (
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from campaign.core.forms import Form
from campaign.events.forms import EventForm
from campaign.hosting.models import HOST_NAME_MAX, MESSAGE_MAX, NOTE_MAX


def _capacity_hint(form: EventForm, ceiling: int) -> None:
    form.capacity.description = lazy_gettext(
        "How many people can come: from 1 to %(num)s.", num=ceiling
    )


class HostEventForm(EventForm):
    """The event form as a host sees it: places up to the campaign's ceiling."""

    def __init__(self, *args: object, ceiling: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        _capacity_hint(self, ceiling)


class ProposalEditForm(HostEventForm):
    """A host changing their proposal before it is decided: the event and their note."""

    note = TextAreaField(
        lazy_gettext("Note to the campaign team"),
        validators=[Length(max=NOTE_MAX * 4)],
        description=lazy_gettext(
            "Who you are, why this event, anything the reviewers should know."
        ),
    )


class ProposalForm(ProposalEditForm):
    """The public form at /host.

    Like the registration form it keeps no session: a hidden honeypot, a signed one-time
    form token and the browser's word on where the POST came from
    (campaign.signups.guard.public_form_verdict) keep scripts out without losing a person.
    """

    class Meta:
        csrf = False

    name = StringField(
        lazy_gettext("Your name"),
        validators=[Length(max=HOST_NAME_MAX * 4)],
        description=lazy_gettext("Shown to the campaign team, not on the public page."),
    )
    email = EmailField(
        lazy_gettext("Your email"),
        validators=[Length(max=1000)],
        description=lazy_gettext(
            "We send a link to confirm it, then the decision and your private link."
        ),
    )
    website = StringField(lazy_gettext("Leave this field empty"), validators=[Length(max=1000)])
    started = HiddenField()


class ResendForm(Form):
    """Ask for the host links of an email address again (no session, as ProposalForm)."""

    class Meta:
        csrf = False

    email = EmailField(lazy_gettext("Your email"), validators=[Length(max=1000)])
    website = StringField(lazy_gettext("Leave this field empty"), validators=[Length(max=1000)])
    started = HiddenField()


class ApproveForm(Form):
    owner = SelectField(
        lazy_gettext("Owner"),
        coerce=int,
        choices=[],
        description=lazy_gettext(
            "The organizer who looks after this event; you, unless you choose another."
        ),
    )


class ChangesForm(Form):
    message = TextAreaField(
        lazy_gettext("What should the host change?"),
        validators=[InputRequired(), Length(max=MESSAGE_MAX)],
        description=lazy_gettext(
            "Mailed to the host with a link to change and resend the proposal."
        ),
    )


class DeclineForm(Form):
    reason = TextAreaField(
        lazy_gettext("Why is it declined?"),
        validators=[InputRequired(), Length(max=MESSAGE_MAX)],
        description=lazy_gettext("Mailed to the host. The proposal never becomes public."),
    )


class SettingsForm(Form):
    capacity_ceiling = IntegerField(
        lazy_gettext("Most places a hosted event may offer"),
        validators=[InputRequired()],
        description=lazy_gettext("Hosts choose their event's capacity up to this number."),
    )
    reviewers = SelectMultipleField(
        lazy_gettext("Organizers who may review proposals"),
        coerce=int,
        choices=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        description=lazy_gettext("Admins always may."),
    )
