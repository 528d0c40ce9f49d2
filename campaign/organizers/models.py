"""Organizer accounts and their server-side login sessions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.core.timeutil import utcnow
from campaign.core.types import UTCDateTime
from campaign.extensions import Model

ROLE_ADMIN = "admin"
ROLE_ORGANIZER = "organizer"
ROLES = (ROLE_ADMIN, ROLE_ORGANIZER)

# What an organizer hears about sign-ups and cancellations on their events.
NOTIFY_OFF = "off"
NOTIFY_EACH = "each"  # a mail per sign-up or cancellation
NOTIFY_DIGEST = "digest"  # one mail a day, when something happened
NOTIFY_MODES = (NOTIFY_OFF, NOTIFY_EACH, NOTIFY_DIGEST)


class Organizer(Model):
    """A person who plans events. Admins see everything; organizers see their own events."""

    __tablename__ = "organizers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=ROLE_ORGANIZER)
    is_enabled: Mapped[bool] = mapped_column(default=True)
    invite_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invite_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("organizers.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notify_mode: Mapped[str] = mapped_column(
        String(10), default=NOTIFY_OFF, server_default=NOTIFY_OFF
    )
    # Changes up to this instant have been told (or were before notifications were on).
    notified_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    digest_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    sessions: Mapped[list[LoginSession]] = relationship(
        back_populates="organizer", cascade="all, delete-orphan"
    )

    # Flask-Login: the id kept in the cookie is the login session's token, not the row id,
    # so deleting the session row (logout) makes a copied cookie worthless.
    if TYPE_CHECKING:  # (declared for mypy only: the mapper would take an annotation as a column)
        current_session_token: str | None
    else:
        current_session_token = None  # set per request by the session loader, not a column

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN

    @property
    def is_active(self) -> bool:
        return self.is_enabled and self.password_hash is not None

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    @property
    def is_invite_pending(self) -> bool:
        return self.password_hash is None and self.invite_token_hash is not None

    def get_id(self) -> str | None:
        return self.current_session_token

    def __repr__(self) -> str:
        return f"<Organizer {self.id}>"


class LoginSession(Model):
    """One signed-in browser. Logout deletes the row; the cookie alone is not enough."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    organizer_id: Mapped[int] = mapped_column(ForeignKey("organizers.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    organizer: Mapped[Organizer] = relationship(back_populates="sessions")
