"""Check-in at the door: each confirmed registration has a short check-in code, shown to
the person (as text and as a QR code of the organizer's check-in address) and read by
the organizer's check-in page, typed or scanned. Walk-ins are added by hand.

The code is derived from the secret key and the registration's nonce (nothing stored);
it opens nothing for whoever holds it: it only lets a signed-in organizer of the event
find that person. Plain values in; the caller commits.
"""

from __future__ import annotations

import hmac
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from campaign.core.database import write_transaction
from campaign.events.models import STATUS_PUBLISHED, Event
from campaign.extensions import db
from campaign.signups import seats, tokens
from campaign.signups import services as signups
from campaign.signups.models import STATUS_CONFIRMED, Registration, is_active_row

_ALPHABET = tokens.CHECK_IN_ALPHABET
_TYPOS = str.maketrans({"O": "0", "I": "1", "L": "1"})
CODE_LENGTH = tokens.CHECK_IN_LENGTH
check_in_code = tokens.check_in_code


def read_code(text: str) -> str:
    """The code in what was typed or scanned (a check-in address or the code itself),
    normalised to 'ABCD-1234'; '' when there is none."""
    text = (text or "").strip()[:500]
    if "://" in text or text.startswith("/"):
        text = (parse_qs(urlsplit(text).query).get("code") or [""])[0]
    chars = re.sub(r"[\s-]+", "", text.upper()).translate(_TYPOS)
    if len(chars) != CODE_LENGTH or any(c not in _ALPHABET for c in chars):
        return ""
    return f"{chars[:4]}-{chars[4:]}"


def find_by_code(event_id: int, code: str, keys: Sequence[str]) -> Registration | None:
    """The event's live registration whose check-in code (under any of keys) is `code`."""
    code = read_code(code)
    if not code:
        return None
    rows = db.session.execute(
        select(Registration.id, Registration.token_nonce).where(
            Registration.event_id == event_id,
            Registration.anonymised_at.is_(None),
        )
    )
    for registration_id, nonce in rows:
        if any(hmac.compare_digest(check_in_code(key, nonce), code) for key in keys):
            return db.session.get(Registration, registration_id)
    return None


def qr_png(data: str, scale: int = 8) -> bytes:
    """A QR code of data as a PNG, with the quiet zone scanners need."""
    import segno  # loaded by the first code a process draws

    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


class WalkInError(ValueError):
    """The event takes no walk-ins (bad input raises signups.InvalidSignup instead)."""


@dataclass(frozen=True)
class WalkIn:
    registration_id: int
    is_new: bool  # False: the address was already registered, and is now checked in
    is_over_capacity: bool


def add_walk_in(event: Event, name: str, email: str, now: datetime, secret_key: str) -> WalkIn:
    """Someone at the door: a confirmed place, checked in now.

    With an address that already holds a place, that registration is checked in (a
    waitlisted one gets the place). Without an address the person gets no mail at all.
    A walk-in may take the event past its capacity: the organizer at the door decides.
    """
    cleaned_name, cleaned_email = _clean(name, email)
    write_transaction()
    locked = seats.lock_event(event.id)
    if locked is None or locked.status != STATUS_PUBLISHED:
        raise WalkInError("Only a published event takes walk-ins.")
    existing = None
    if cleaned_email:
        existing = db.session.scalar(
            select(Registration).where(
                Registration.event_id == locked.id,
                Registration.email == cleaned_email,
                is_active_row(Registration.status),
            )
        )
    confirmed = seats.seat_counts(locked.id)[STATUS_CONFIRMED]
    if existing is not None:
        over = existing.status != STATUS_CONFIRMED and _full(locked, confirmed)
        if existing.status != STATUS_CONFIRMED:
            existing.status = STATUS_CONFIRMED
            existing.confirmed_at = now
            signups.seats_changed(locked.id)
        existing.checked_in_at = existing.checked_in_at or now
        db.session.flush()
        return WalkIn(existing.id, is_new=False, is_over_capacity=over)
    nonce = tokens.new_nonce()
    registration = Registration(
        event_id=locked.id,
        name=cleaned_name,
        email=cleaned_email or f"walk-in-{nonce[:16]}@walk-in.invalid",
        status=STATUS_CONFIRMED,
        token_nonce=nonce,
        token_hash=tokens.manage_token_hash(secret_key, nonce),
        referral_code=tokens.new_referral_code(),
        is_consenting_to_updates=False,
        is_name_on_card=False,
        # Without an address there is nobody to mail; with one, only campaign mail they
        # would get anyway (the thank-you), never a confirmation for a place they hold.
        is_unsubscribed=not cleaned_email,
        created_at=now,
        confirmed_at=now,
        checked_in_at=now,
    )
    db.session.add(registration)
    db.session.flush()
    signups.seats_changed(locked.id)
    return WalkIn(registration.id, is_new=True, is_over_capacity=_full(locked, confirmed))


def _full(event: Event, confirmed: int) -> bool:
    return event.capacity is not None and confirmed >= event.capacity


def _clean(name: str, email: str) -> tuple[str, str]:
    """The walk-in's name and optional address, checked like a sign-up's (InvalidSignup)."""
    has_email = bool((email or "").strip())
    data = signups.clean_input(
        signups.SignupInput(name=name, email=email if has_email else "walk-in@example.org")
    )
    return data.name, data.email if has_email else ""
