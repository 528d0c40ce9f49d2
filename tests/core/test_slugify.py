"""The one slugify (campaign.core.text) that event and fact URLs are made with."""

from __future__ import annotations

import pytest

from campaign.core.text import slugify


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Café & Talk: 2030!", "cafe-talk-2030"),
        ("  --Already-Slugged--  ", "already-slugged"),
        ("Ümlaut ÅNGSTRÖM", "umlaut-angstrom"),
        ("Кетамин", "fallback"),  # nothing ASCII is left
        ("", "fallback"),
    ],
)
def test_slugify_keeps_ascii_letters_and_digits_joined_by_hyphens(text, expected):
    assert slugify(text, 80, "fallback") == expected


def test_slugify_cuts_at_the_length_without_a_trailing_hyphen():
    assert slugify("abcd efgh", 5, "x") == "abcd"
    assert slugify("abcd efgh", 6, "x") == "abcd-e"
