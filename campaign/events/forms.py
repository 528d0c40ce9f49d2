"""The event form an organizer fills in."""

from __future__ import annotations

import math

from flask_babel import gettext, lazy_gettext
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import InputRequired, Length, Optional

from campaign.core.forms import Form
from campaign.core.timeutil import timezone_names, to_local
from campaign.events.models import DESCRIPTION_MAX, FORMATS, SUMMARY_MAX, TITLE_MAX, Event
from campaign.events.services import EventInput

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class CoordinateField(StringField):
    """Degrees typed as a decimal number (a comma works as the decimal mark); empty is None.

    The range and the both-or-neither rule live in events.services.coordinate_errors.
    """

    def process_formdata(self, valuelist: list[str]) -> None:
        text = (valuelist[0] if valuelist else "").strip()
        self.raw_text = text
        if not text:
            self.data = None
            return
        try:
            value = float(text.replace(",", ".").replace("\u2212", "-"))
        except ValueError:
            value = math.nan
        # Unreadable text reaches the service as NaN, which it refuses with its message.
        self.data = value
        if not math.isfinite(value):
            raise ValueError(gettext("Enter a number of degrees."))

    def _value(self) -> str:
        # What was typed is shown back as typed; a stored value as its shortest decimal.
        typed: str | None = getattr(self, "raw_text", None)
        if typed is not None:
            return typed
        return "" if self.data is None else str(self.data)


class EventForm(Form):
    """Parses what the organizer typed; the rules live in events.services.validate."""

    title = StringField(
        lazy_gettext("Title"),
        validators=[InputRequired()],
        description=lazy_gettext("Up to %(num)s characters.", num=TITLE_MAX),
    )
    summary = StringField(
        lazy_gettext("Summary"),
        description=lazy_gettext(
            "One or two sentences for listings, up to %(num)s.", num=SUMMARY_MAX
        ),
    )
    description = TextAreaField(
        lazy_gettext("Description"),
        description=lazy_gettext(
            "Up to %(num)s characters. Plain text; *emphasis*, **bold**, "
            "lists and links are supported.",
            num=DESCRIPTION_MAX,
        ),
    )
    timezone = SelectField(lazy_gettext("Time zone"), choices=[], validate_choice=False)
    starts_local = DateTimeLocalField(
        lazy_gettext("Starts"), format=DATETIME_FORMAT, validators=[InputRequired()]
    )
    ends_local = DateTimeLocalField(
        lazy_gettext("Ends"), format=DATETIME_FORMAT, validators=[InputRequired()]
    )
    format = RadioField(
        lazy_gettext("Format"),
        choices=[SelectChoice(value, lazy_gettext(label)) for value, label in FORMATS.items()],
        default="in_person",
    )
    venue = StringField(lazy_gettext("Venue"))
    address = TextAreaField(lazy_gettext("Address"))
    city = StringField(lazy_gettext("City"))
    region = StringField(lazy_gettext("Region or state"))
    country = StringField(lazy_gettext("Country"))
    latitude = CoordinateField(
        lazy_gettext("Latitude"),
        description=lazy_gettext(
            "Optional, for the map of events: degrees north (negative for south)."
        ),
        render_kw={"inputmode": "decimal"},
    )
    longitude = CoordinateField(
        lazy_gettext("Longitude"),
        description=lazy_gettext("Optional: degrees east (negative for west). Both or neither."),
        render_kw={"inputmode": "decimal"},
    )
    join_url = URLField(
        lazy_gettext("Online join link"),
        description=lazy_gettext(
            "Only confirmed registrants see it, in their emails and manage page."
        ),
    )
    capacity = IntegerField(
        lazy_gettext("Capacity"),
        validators=[Optional()],
        description=lazy_gettext("Leave empty for no limit."),
    )
    is_waitlist_enabled = BooleanField(
        lazy_gettext("Open a waitlist when the event is full"), default=True
    )
    is_going_count_public = BooleanField(
        lazy_gettext("Show on the public page how many people are going"),
        default=False,
        description=lazy_gettext("Only the number of confirmed places, never who."),
    )
    accessibility_notes = TextAreaField(
        lazy_gettext("Accessibility"),
        description=lazy_gettext("Step-free access, captions, quiet room, and so on."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = [
            SelectChoice(name, name.replace("_", " ")) for name in timezone_names()
        ]

    def fill_from(self, event: Event) -> None:
        """Prefill for editing: instants shown as wall-clock times in the event's zone."""
        self.process(obj=event)
        self.starts_local.data = to_local(event.starts_at, event.timezone).replace(tzinfo=None)
        self.ends_local.data = to_local(event.ends_at, event.timezone).replace(tzinfo=None)

    def to_input(self) -> EventInput:
        """The plain values for the service."""
        return EventInput(
            title=self.title.data or "",
            starts_local=self.starts_local.data,
            ends_local=self.ends_local.data,
            timezone=self.timezone.data or "",
            format=self.format.data or "",
            summary=self.summary.data or "",
            description=self.description.data or "",
            venue=self.venue.data or "",
            address=self.address.data or "",
            city=self.city.data or "",
            region=self.region.data or "",
            country=self.country.data or "",
            join_url=self.join_url.data or "",
            capacity=self.capacity.data,
            is_waitlist_enabled=bool(self.is_waitlist_enabled.data),
            accessibility_notes=self.accessibility_notes.data or "",
            is_going_count_public=bool(self.is_going_count_public.data),
            latitude=self.latitude.data,
            longitude=self.longitude.data,
        )


class ContactForm(Form):
    """A visitor's message to an event's host; the rules live in events.contact.clean.
    No session's CSRF token: the signed one-time form token and the origin check stand
    in for it (campaign.signups.guard.public_form_verdict), so the page sets no cookie."""

    class Meta:
        csrf = False

    name = StringField(lazy_gettext("Your name"), validators=[Length(max=400)])
    email = EmailField(
        lazy_gettext("Your email"),
        validators=[Length(max=1000)],
        description=lazy_gettext(
            "The host replies to this address. We do not show it to anyone else."
        ),
    )
    message = TextAreaField(lazy_gettext("Your message"), validators=[Length(max=8000)])
    # Honeypot and the signed form token (campaign.signups.guard), as on the sign-up form.
    website = StringField(lazy_gettext("Leave this field empty"), validators=[Length(max=1000)])
    started = HiddenField()


class EventTranslationForm(Form):
    """An event's title, summary and description in one other language (one form per
    locale on the edit page, each with its own prefix so their ids never collide)."""

    title = StringField(lazy_gettext("Title"), validators=[InputRequired(), Length(max=TITLE_MAX)])
    summary = TextAreaField(
        lazy_gettext("Summary"),
        validators=[Optional(), Length(max=SUMMARY_MAX)],
        description=lazy_gettext("Left blank, the page shows the summary in the default language."),
    )
    description = TextAreaField(
        lazy_gettext("Description"),
        validators=[Optional(), Length(max=DESCRIPTION_MAX)],
        description=lazy_gettext(
            "Left blank, the page shows the description in the default language."
        ),
    )
