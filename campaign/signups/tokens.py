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

from campaign.core.tokens import hash_token

_REFERRAL_ALPHABET = string.ascii_lowercase + string.digits


def new_nonce() -> str:
    """128 random bits, hex."""
    return secrets.token_hex(16)


def manage_token(secret_key: str, nonce: str) -> str:
    """The 256-bit manage token of the registration with this nonce."""
    digest = hmac.new(
        secret_key.encode(), b"registration-manage:" + nonce.encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def manage_token_hash(secret_key: str, nonce: str) -> str:
    return hash_token(manage_token(secret_key, nonce))


def new_referral_code() -> str:
    """A short code for share links (10 characters, about 51 bits)."""
    return "".join(secrets.choice(_REFERRAL_ALPHABET) for _ in range(10))


def unsubscribe_signature(secret_key: str, registration_id: int, nonce: str) -> str:
    """The signature in a registration's one-click unsubscribe link."""
    digest = hmac.new(
        secret_key.encode(), f"unsubscribe:{registration_id}:{nonce}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest[:18]).rstrip(b"=").decode()
