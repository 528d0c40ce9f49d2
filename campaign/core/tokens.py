"""Random tokens that are stored only as hashes, and the secret keys that sign things."""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app


def new_token() -> str:
    """A URL-safe token with 256 random bits."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest kept in the database instead of the token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def secret_keys() -> list[str]:
    """The secret key in use first, then the old ones still accepted (SECRET_KEY_FALLBACKS).

    Sign or derive with the first; accept what any of them signed.
    """
    config = current_app.config
    return [config["SECRET_KEY"], *(config.get("SECRET_KEY_FALLBACKS") or ())]


def serializer_keys() -> list[str]:
    """The same keys in the order itsdangerous takes them: it signs with the last."""
    return secret_keys()[::-1]
