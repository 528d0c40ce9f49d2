"""Manage-link tokens: derived from the secret key and a per-registration nonce.

The database keeps the nonce and the token's SHA-256, never the token: a copy of the
database alone cannot open anyone's manage page, while the app can still put the link
into later mails (reminders) without having stored it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string
from collections.abc import Sequence

from campaign.core.tokens import hash_token

_REFERRAL_ALPHABET = string.ascii_lowercase + string.digits


def new_nonce() -> str:
    """128 random bits, hex."""
    return secrets.token_hex(16)


def manage_token(secret_key: str, nonce: str, purpose: str = "registration-manage") -> str:
    """The 256-bit manage token of the registration with this nonce (another private link,
    such as a host's, names its own purpose so the two can never open each other)."""
    digest = hmac.new(
        secret_key.encode(), purpose.encode() + b":" + nonce.encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def manage_token_hash(secret_key: str, nonce: str) -> str:
    return hash_token(manage_token(secret_key, nonce))


def matching_manage_token(
    keys: Sequence[str], nonce: str, token_hash: str, purpose: str = "registration-manage"
) -> str | None:
    """The manage token under the first of keys that made token_hash, or None."""
    for key in keys:
        token = manage_token(key, nonce, purpose)
        if hmac.compare_digest(hash_token(token), token_hash):
            return token
    return None


_REFERRAL_LENGTH = 10
_REFERRAL_CODES = len(_REFERRAL_ALPHABET) ** _REFERRAL_LENGTH


def new_referral_code() -> str:
    """A short code for share links (10 characters, about 51 bits): one uniform draw
    written in the alphabet's base, each character as uniform as secrets.choice's."""
    number = secrets.randbelow(_REFERRAL_CODES)
    characters = []
    for _ in range(_REFERRAL_LENGTH):
        number, digit = divmod(number, len(_REFERRAL_ALPHABET))
        characters.append(_REFERRAL_ALPHABET[digit])
    return "".join(characters)


def unsubscribe_signature(secret_key: str, registration_id: int, nonce: str) -> str:
    """The signature in a registration's one-click unsubscribe link."""
    digest = hmac.new(
        secret_key.encode(), f"unsubscribe:{registration_id}:{nonce}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest[:18]).rstrip(b"=").decode()


def is_unsubscribe_signature(
    keys: Sequence[str], registration_id: int, nonce: str, signature: str
) -> bool:
    """Whether signature is the unsubscribe signature under any of keys (a rotation
    leaves links mailed under the old key working while it is a fallback)."""
    found = False
    for key in keys:
        expected = unsubscribe_signature(key, registration_id, nonce)
        found |= hmac.compare_digest(expected, signature)
    return found


# Check-in codes use Crockford's base 32: no I, L, O or U, so a code read aloud or typed
# is unambiguous (campaign/attendees/checkin.py reads them back).
CHECK_IN_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_IN_LENGTH = 8


def check_in_code(secret_key: str, nonce: str) -> str:
    """The registration's check-in code, as shown: 'ABCD-1234' (40 bits)."""
    digest = hmac.new(secret_key.encode(), b"check-in:" + nonce.encode(), hashlib.sha256)
    number = int.from_bytes(digest.digest()[:5], "big")
    chars = "".join(
        CHECK_IN_ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(CHECK_IN_LENGTH))
    )
    return f"{chars[:4]}-{chars[4:]}"
