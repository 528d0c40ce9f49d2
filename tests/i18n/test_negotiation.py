"""Choosing a locale without Flask (campaign.i18n.negotiation): ?lang=, then the cookie,
then Accept-Language, then the default; anything unknown or malformed is ignored."""

from __future__ import annotations

import pytest

from campaign.i18n.negotiation import (
    accept_language_match,
    choose,
    cookie_locale,
    native_name,
    set_cookie_header,
    text_direction,
)

SUPPORTED = ("en", "es")


def test_the_query_wins_and_asks_for_the_cookie() -> None:
    choice = choose("es", "en", "en-US", SUPPORTED, "en")
    assert choice.locale == "es" and choice.sets_cookie


def test_a_query_the_cookie_already_holds_sets_nothing() -> None:
    assert not choose("es", "es", None, SUPPORTED, "en").sets_cookie


@pytest.mark.parametrize("asked", ["xx", "", "es-", "../es", "e\x00s", "espanol", "a" * 500])
def test_an_unsupported_query_is_ignored(asked: str) -> None:
    choice = choose(asked, None, "es-MX,es;q=0.9", SUPPORTED, "en")
    assert choice.locale == "es" and not choice.from_query and not choice.sets_cookie


def test_the_cookie_comes_before_the_browser() -> None:
    assert choose(None, "en", "es", SUPPORTED, "en").locale == "en"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("es-MX,es;q=0.9,en;q=0.8", "es"),
        ("es-ES", "es"),
        ("fr-FR,fr;q=0.9,es;q=0.5", "es"),
        ("fr-FR,en;q=0.5,es;q=0.4", "en"),
        ("de", None),
        ("", None),
        (";;;,q=", None),
        ("es;q=0", None),
    ],
)
def test_accept_language_picks_the_best_supported(header: str, expected: str | None) -> None:
    assert accept_language_match(header, SUPPORTED) == expected


def test_nothing_known_means_the_default() -> None:
    assert choose(None, None, "de-DE,fr;q=0.5", SUPPORTED, "en").locale == "en"
    assert choose(None, None, None, SUPPORTED, "es").locale == "es"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("lang=es", "es"),
        ("a=1; lang=es; b=2", "es"),
        ("lang=xx", None),
        ("lang=", None),
        ('lang="es', None),
        ("session=abc", None),
        ("", None),
        (None, None),
    ],
)
def test_the_cookie_counts_only_when_it_names_a_supported_locale(
    header: str | None, expected: str | None
) -> None:
    assert cookie_locale(header, SUPPORTED) == expected


def test_right_to_left_locales() -> None:
    assert [text_direction(code) for code in ("ar", "he_IL", "fa", "ur-PK")] == ["rtl"] * 4
    assert [text_direction(code) for code in ("en", "es", "eo")] == ["ltr"] * 3


def test_languages_are_named_in_themselves() -> None:
    assert native_name("es") == "Español" and native_name("en") == "English"
    assert native_name("es_MX") == "Español" and native_name("zz") == "zz"


def test_the_cookie_lasts_a_year_and_is_lax() -> None:
    header = set_cookie_header("es", secure=True)
    assert header.startswith("lang=es;")
    for part in ("Path=/", "Max-Age=31536000", "SameSite=Lax", "HttpOnly", "Secure"):
        assert part in header
    assert "Secure" not in set_cookie_header("es", secure=False)
