"""Campaign use cases: the current campaign and its settings."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import g
from sqlalchemy import Select, select

from campaign.campaigns.models import Campaign
from campaign.core.forms import FieldErrors
from campaign.core.text import has_control_characters
from campaign.core.timeutil import EARLIEST_YEAR, LATEST_YEAR, is_valid_timezone, year_in_range
from campaign.extensions import db

HASHTAG_RE = re.compile(r"^#?[^\s#]{1,59}$")


class CampaignValidationError(FieldErrors):
    """What is wrong with the campaign's settings, one message per form field."""


@dataclass
class CampaignSettings:
    name: str
    day: date | None
    timezone: str
    tagline: str = ""
    hashtag: str = ""
    disclaimer: str = ""
    about: str = ""
    contact_email: str = ""


def _newest_active(*columns: Any) -> Select[Any]:
    return (
        select(*columns)
        .where(Campaign.is_active.is_(True))
        .order_by(Campaign.day.desc(), Campaign.id.desc())
        .limit(1)
    )


# Every page asks for the current campaign: the statement is built once, at import.
_CURRENT_CAMPAIGN = _newest_active(Campaign)
# The same choice as a subquery, for queries that load the campaign with other rows.
CURRENT_CAMPAIGN_ID = _newest_active(Campaign.id).scalar_subquery()


def current_campaign() -> Campaign | None:
    """The active campaign (the newest active one when there are several)."""
    return db.session.scalar(_CURRENT_CAMPAIGN)


def request_campaign() -> Campaign | None:
    """current_campaign(), looked up once per app context (a request) and kept in flask.g.

    The page layout shows the campaign on every page; views that need it too share the
    same look-up instead of repeating it.
    """
    if "campaign" not in g:
        g.campaign = current_campaign()
    return g.campaign


def validate_settings(data: CampaignSettings) -> None:
    """Raise CampaignValidationError listing every problem with data."""
    errors: dict[str, str] = {}
    limits = {"name": 120, "tagline": 200, "hashtag": 60, "disclaimer": 400, "about": 3000}
    for field, limit in limits.items():
        value = unicodedata.normalize("NFC", getattr(data, field).strip())
        setattr(data, field, value)
        if len(value) > limit:
            errors[field] = f"Use at most {limit} characters."
        elif has_control_characters(value, allow_newlines=field == "about"):
            errors[field] = "Remove the invisible control characters."
    if not data.name:
        errors["name"] = "The campaign needs a name."
    if not data.disclaimer:
        errors["disclaimer"] = "The disclaimer is required: this is health content."
    if data.day is None:
        errors["day"] = "Choose the date of the day."
    elif not year_in_range(data.day):
        errors["day"] = f"Choose a date from {EARLIEST_YEAR} to {LATEST_YEAR}."
    if not is_valid_timezone(data.timezone):
        errors["timezone"] = "Choose a time zone from the list."
    if data.hashtag:
        if not HASHTAG_RE.match(data.hashtag):
            errors["hashtag"] = "A hashtag is one word without spaces, like #KetamineDay."
        elif not data.hashtag.startswith("#"):
            data.hashtag = "#" + data.hashtag
    if errors:
        raise CampaignValidationError(errors)


def update_settings(campaign: Campaign, data: CampaignSettings) -> None:
    """Save the campaign's settings after validating them."""
    validate_settings(data)
    for field in ("name", "day", "timezone", "tagline", "hashtag", "disclaimer", "about"):
        setattr(campaign, field, getattr(data, field))
    campaign.contact_email = data.contact_email.strip().lower()
    db.session.flush()
