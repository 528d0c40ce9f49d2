"""N_ marks a string for the catalog where it is defined, to be translated where it is
shown (a setting's default, a table of messages): `make i18n-extract` collects it."""

from __future__ import annotations


def N_(text: str) -> str:
    """text unchanged: only marks it for extraction."""
    return text
