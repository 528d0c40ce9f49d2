"""The Campaign table."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from campaign.core.timeutil import utcnow
from campaign.core.types import UTCDateTime
from campaign.extensions import db


class Campaign(db.Model):
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
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Campaign {self.slug}>"
