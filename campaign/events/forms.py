"""The event form an organizer fills in."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import InputRequired, Optional

from campaign.core.timeutil import timezone_names, to_local
from campaign.events.models import DESCRIPTION_MAX, FORMATS, SUMMARY_MAX, TITLE_MAX, Event
from campaign.events.services import EventInput

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class EventForm(FlaskForm):
    """Parses what the organizer typed; the rules live in events.services.validate."""

    title = StringField(
        "Title", validators=[InputRequired()], description=f"Up to {TITLE_MAX} characters."
    )
    summary = StringField(
        "Summary", description=f"One or two sentences for listings, up to {SUMMARY_MAX}."
    )
    description = TextAreaField(
        "Description",
        description=(
            f"Up to {DESCRIPTION_MAX} characters. Plain text; *emphasis*, **bold**, "
            "lists and links are supported."
        ),
    )
    timezone = SelectField("Time zone", choices=[], validate_choice=False)
    starts_local = DateTimeLocalField(
        "Starts", format=DATETIME_FORMAT, validators=[InputRequired()]
    )
    ends_local = DateTimeLocalField("Ends", format=DATETIME_FORMAT, validators=[InputRequired()])
    format = RadioField(
        "Format",
        choices=[SelectChoice(value, label) for value, label in FORMATS.items()],
        default="in_person",
    )
    venue = StringField("Venue")
    address = TextAreaField("Address")
    city = StringField("City")
    region = StringField("Region or state")
    country = StringField("Country")
    join_url = URLField(
        "Online join link",
        description="Only confirmed registrants see it, in their emails and manage page.",
    )
    capacity = IntegerField(
        "Capacity", validators=[Optional()], description="Leave empty for no limit."
    )
    is_waitlist_enabled = BooleanField("Open a waitlist when the event is full", default=True)
    accessibility_notes = TextAreaField(
        "Accessibility", description="Step-free access, captions, quiet room, and so on."
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
        )
