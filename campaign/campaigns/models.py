"""The Campaign table."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from campaign.cardrender import DEFAULT_THEME
from campaign.core.timeutil import utcnow
from campaign.core.types import UTCDateTime
from campaign.extensions import Model


class Campaign(Model):
    """A campaign is one year of the awareness day; events belong to it."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    day: Mapped[date] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    tagline: Mapped[str] = mapped_column(String(200), default="")
    hashtag: Mapped[str] = mapped_column(String(60), default="")
    disclaimer: Mapped[str] = mapped_column(Text)
    about: Mapped[str] = mapped_column(Text, default="")
    # The article's advice that /facts and its pages end on (never labelled "Fact"; "" if
    # none); loaded with the content file, whose source must contain it.
    call_to_action: Mapped[str] = mapped_column(Text, default="", server_default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    # Share-card theme (#RRGGBB, validated for contrast when saved) and the logo, a PNG
    # under instance/ named by its digest ("" for none).
    theme_primary: Mapped[str] = mapped_column(
        String(7), default=DEFAULT_THEME.primary, server_default=DEFAULT_THEME.primary
    )
    theme_accent: Mapped[str] = mapped_column(
        String(7), default=DEFAULT_THEME.accent, server_default=DEFAULT_THEME.accent
    )
    theme_background: Mapped[str] = mapped_column(
        String(7), default=DEFAULT_THEME.background, server_default=DEFAULT_THEME.background
    )
    theme_text: Mapped[str] = mapped_column(
        String(7), default=DEFAULT_THEME.text, server_default=DEFAULT_THEME.text
    )
    theme_on_primary: Mapped[str] = mapped_column(
        String(7), default=DEFAULT_THEME.on_primary, server_default=DEFAULT_THEME.on_primary
    )
    logo_path: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # Sites that may frame the event finder (/embed/events): origins, one per line; empty
    # for any site (campaign.embed.services).
    embed_origins: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The optional background photo of the cards (graphics.services.photo), like the logo.
    photo_path: Mapped[str] = mapped_column(String(200), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Campaign {self.slug}>"
