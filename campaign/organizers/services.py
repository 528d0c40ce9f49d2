"""Organizer use cases: accounts, passwords, login sessions and invitations."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import delete, func, select

from campaign.core.database import changed_rows, write_transaction
from campaign.core.text import has_control_characters
from campaign.core.timeutil import utcnow
from campaign.core.tokens import hash_token, new_token
from campaign.extensions import db
from campaign.organizers.models import ROLE_ADMIN, ROLE_ORGANIZER, LoginSession, Organizer

if TYPE_CHECKING:
    from argon2 import PasswordHasher

log = logging.getLogger(__name__)
_hashers: dict[tuple[int, int], tuple[PasswordHasher, str]] = {}


def _hasher() -> tuple[PasswordHasher, str]:
    """The argon2id hasher for the configured cost, and a dummy hash made with it.

    The dummy hash is verified against when an email is unknown, so the time a failed
    sign-in takes does not reveal which emails have accounts. Tests use a low cost.

    argon2 is imported here, on the first password hashed or checked: the public pages
    and sign-ups that most workers only ever serve never load it.
    """
    from argon2 import PasswordHasher

    key = (
        int(current_app.config.get("ARGON2_TIME_COST", 3)),
        int(current_app.config.get("ARGON2_MEMORY_KIB", 65536)),
    )
    if key not in _hashers:
        hasher = PasswordHasher(time_cost=key[0], memory_cost=key[1])
        _hashers[key] = (hasher, hasher.hash("not-a-real-password-used-for-timing-only"))
    return _hashers[key]


PASSWORD_MIN = 10
PASSWORD_MAX = 256


class OrganizerError(ValueError):
    """A rule about organizers was broken; the message is safe to show."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    """An argon2id hash of password."""
    return _hasher()[0].hash(password)


def check_password_rules(password: str) -> None:
    """Raise OrganizerError when password is too short or too long."""
    if len(password) < PASSWORD_MIN:
        raise OrganizerError(f"Use at least {PASSWORD_MIN} characters.")
    if len(password) > PASSWORD_MAX:
        raise OrganizerError(f"Use at most {PASSWORD_MAX} characters.")


def find_by_email(email: str) -> Organizer | None:
    """The organizer with this email; None for anything that cannot be an address."""
    email = normalise_email(email)
    if not email or len(email) > 254 or has_control_characters(email):
        return None  # PostgreSQL refuses NUL in text: never send such a value
    return db.session.scalar(select(Organizer).where(Organizer.email == email))


def create_organizer(
    email: str, name: str, password: str | None, is_admin: bool = False
) -> Organizer:
    """Add an organizer with a password (CLI) or without one (invited, see invite).

    The password is hashed first (it takes a while), then the look-up and the insert run
    as one writer (write_transaction): on SQLite, a read that another process's commit
    overtook could not be turned into a write ("database is locked" at once). A caller
    with changes of its own in the session (a seed) makes this part of its unit of work."""
    email = normalise_email(email)
    password_hash = None
    if password is not None:
        check_password_rules(password)
        password_hash = hash_password(password)
    session = db.session()
    if not (session.new or session.dirty or session.deleted):
        write_transaction()
    if find_by_email(email) is not None:
        raise OrganizerError("An organizer with this email already exists.")
    organizer = Organizer(
        email=email,
        name=name.strip() or email.split("@")[0],
        role=ROLE_ADMIN if is_admin else ROLE_ORGANIZER,
        password_hash=password_hash,
    )
    db.session.add(organizer)
    db.session.flush()
    return organizer


def authenticate(email: str, password: str) -> Organizer | None:
    """The enabled organizer with these credentials, or None. Same cost either way."""
    organizer = find_by_email(email)
    from argon2.exceptions import InvalidHashError, VerificationError

    hasher, dummy = _hasher()
    stored = organizer.password_hash if organizer and organizer.password_hash else dummy
    try:
        hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if organizer is None or not organizer.is_active:
        return None
    if hasher.check_needs_rehash(stored):
        rehashed = hash_password(password)
        write_transaction()  # SQLite: end the read first, or the write may find it locked
        organizer.password_hash = rehashed
    return organizer


def start_session(organizer: Organizer, now: datetime, hours: int) -> str:
    """Record a new signed-in browser for organizer and return its token."""
    # The look-up and the slow password check ran in a read transaction; on SQLite it
    # cannot become a write once another writer has committed ("database is locked").
    write_transaction()
    token = new_token()
    db.session.add(
        LoginSession(
            token_hash=hash_token(token),
            organizer_id=organizer.id,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    organizer.last_login_at = now
    organizer.current_session_token = token
    db.session.flush()
    return token


def end_session(token: str | None) -> None:
    """Forget a signed-in browser: its cookie no longer signs anyone in."""
    if token:
        db.session.execute(delete(LoginSession).where(LoginSession.token_hash == hash_token(token)))


def load_organizer_for_session(token: str) -> Organizer | None:
    """Flask-Login's loader: the organizer whose live session has this token."""
    if not token or len(token) > 100:
        return None
    row = db.session.execute(
        select(LoginSession, Organizer)
        .join(Organizer, LoginSession.organizer_id == Organizer.id)
        .where(LoginSession.token_hash == hash_token(token))
    ).first()
    if row is None:
        return None
    login_session, organizer = row
    if login_session.expires_at <= utcnow() or not organizer.is_active:
        return None
    organizer.current_session_token = token
    return organizer


def invite(email: str, name: str, invited_by: Organizer, now: datetime, hours: int) -> str:
    """Create an organizer without a password and return the one-time invite token."""
    organizer = create_organizer(email, name, password=None)
    organizer.invited_by_id = invited_by.id
    return _issue_invite(organizer, now, hours)


def reissue_invite(organizer: Organizer, now: datetime, hours: int) -> str:
    """A fresh invite link for an organizer who has not set a password yet."""
    if organizer.password_hash is not None:
        raise OrganizerError("This organizer has already set a password.")
    return _issue_invite(organizer, now, hours)


def _issue_invite(organizer: Organizer, now: datetime, hours: int) -> str:
    token = new_token()
    organizer.invite_token_hash = hash_token(token)
    organizer.invite_expires_at = now + timedelta(hours=hours)
    db.session.flush()
    return token


def find_by_invite(token: str, now: datetime) -> Organizer | None:
    """The organizer a valid, unexpired invite token belongs to."""
    if not token or len(token) > 100:
        return None
    organizer = db.session.scalar(
        select(Organizer).where(Organizer.invite_token_hash == hash_token(token))
    )
    if organizer is None or organizer.invite_expires_at is None:
        return None
    if organizer.invite_expires_at <= now or not organizer.is_enabled:
        return None
    return organizer


def accept_invite(organizer: Organizer, password: str) -> None:
    """Set the invited organizer's password; the invite link stops working."""
    check_password_rules(password)
    password_hash = hash_password(password)
    write_transaction()  # SQLite: end the read first, or the write may find it locked
    db.session.refresh(organizer)
    organizer.password_hash = password_hash
    organizer.invite_token_hash = None
    organizer.invite_expires_at = None


def set_enabled(organizer: Organizer, enabled: bool, acting: Organizer) -> None:
    """Deactivate (ending every session) or reactivate an organizer."""
    if organizer.id == acting.id and not enabled:
        raise OrganizerError("You cannot deactivate your own account.")
    if not enabled and organizer.is_admin and count_enabled_admins() <= 1:
        raise OrganizerError("The last active admin cannot be deactivated.")
    organizer.is_enabled = enabled
    if not enabled:
        db.session.execute(delete(LoginSession).where(LoginSession.organizer_id == organizer.id))


def count_enabled_admins() -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Organizer)
            .where(Organizer.role == ROLE_ADMIN, Organizer.is_enabled.is_(True))
        )
        or 0
    )


def list_organizers() -> list[Organizer]:
    return list(db.session.scalars(select(Organizer).order_by(Organizer.name, Organizer.id)))


def purge_expired_sessions(now: datetime) -> int:
    """Delete login sessions past their expiry; returns how many."""
    result = db.session.execute(delete(LoginSession).where(LoginSession.expires_at <= now))
    return changed_rows(result)
