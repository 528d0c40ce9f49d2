"""The attendee list's forms: its search and status filter, and the check-in button."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext
from wtforms import EmailField, HiddenField, StringField
from wtforms.validators import InputRequired

from campaign.core.forms import Form, ToggleForm

SEARCH_MAX = 100
# The query arguments that say which part of the list is shown, kept across a POST.
LIST_ARGS = ("q", "status", "page")


def list_args(args: Mapping[str, str]) -> dict[str, Any]:
    """The list's search, status filter and page from a query string, to go back to the
    same part of the list after a button's POST."""
    return {k: v for k, v in args.items() if k in LIST_ARGS}


class AttendeeFilterForm(Form):
    """The list's search text and status, read from the query string (a GET: no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(lazy_gettext("Search"))
    status = StringField(lazy_gettext("Status"))

    @property
    def search(self) -> str:
        """The search text, cut to SEARCH_MAX characters."""
        return (self.q.data or "")[:SEARCH_MAX]

    @property
    def status_filter(self) -> str:
        """The chosen status ('' for all; attendees.services ignores unknown ones)."""
        return self.status.data or ""


class CheckInForm(ToggleForm):
    """Check someone in (checked_in=1) or undo it (0): a POST button per attendee."""

    checked_in = HiddenField()

    @property
    def is_checking_in(self) -> bool:
        """True to mark the person as arrived, False to undo it."""
        return self.checked_in.data == "1"


class WalkInForm(Form):
    """Someone at the door without a place: a name, and an address if they give one."""

    # Lengths and characters are checked by the service, with its clearer messages.
    name = StringField(
        lazy_gettext("Name"), validators=[InputRequired(lazy_gettext("Enter their name."))]
    )
    email = EmailField(
        lazy_gettext("Email (optional)"),
        description=lazy_gettext(
            "With an address they get the thank-you note after the event; else no mail."
        ),
    )


class CheckInCodeForm(ToggleForm):
    """Check in the person a code belongs to (a POST button on the check-in page)."""

    code = HiddenField()
