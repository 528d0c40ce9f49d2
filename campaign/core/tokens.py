"""Random tokens that are stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    """A URL-safe token with 256 random bits."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest kept in the database instead of the token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
