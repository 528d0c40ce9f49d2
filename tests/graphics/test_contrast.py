"""WCAG contrast maths and theme validation."""

from __future__ import annotations

import pytest

from campaign.cardrender.contrast import (
    Colour,
    contrast_ratio,
    muted,
    parse_colour,
    relative_luminance,
    validate_theme,
)
from campaign.cardrender.specs import DEFAULT_THEME, Theme


def test_luminance_endpoints() -> None:
    assert relative_luminance("#000000") == 0
    assert relative_luminance("#FFFFFF") == pytest.approx(1)


@pytest.mark.parametrize(
    ("a", "b", "ratio"),
    [
        ("#000000", "#ffffff", 21.0),
        ("#777777", "#ffffff", 4.48),  # the classic "just fails AA" grey
        ("#767676", "#ffffff", 4.54),  # ... and the one that passes
        ("#0000ff", "#ffffff", 8.59),
        ((255, 0, 0), "#fff", 4.0),
    ],
)
def test_contrast_ratio_matches_known_values(a: Colour, b: Colour, ratio: float) -> None:
    assert contrast_ratio(a, b) == pytest.approx(ratio, abs=0.01)
    assert contrast_ratio(b, a) == contrast_ratio(a, b)


def test_parse_colour_forms_and_errors() -> None:
    assert parse_colour("#abc") == (0xAA, 0xBB, 0xCC)
    assert parse_colour("#0B2540") == (11, 37, 64)
    assert parse_colour((1, 2, 3, 255)) == (1, 2, 3)
    for bad in ("0B2540", "#12345", "red", "#GGGGGG"):
        with pytest.raises(ValueError, match="RRGGBB"):
            parse_colour(bad)


def test_default_theme_passes_with_room_to_spare() -> None:
    assert validate_theme(DEFAULT_THEME) == []
    t = DEFAULT_THEME
    for fg, bg in ((t.text, t.background), (t.on_primary, t.primary), (t.accent, t.background)):
        assert contrast_ratio(fg, bg) >= 7


def test_validate_theme_names_each_failing_pair() -> None:
    theme = Theme(
        primary="#ffffff",
        accent="#10243a",
        background="#0b2540",
        text="#334455",
        on_primary="#eeeeee",
    )
    problems = validate_theme(theme)
    assert len(problems) == 3
    assert any("text (#334455) on background (#0b2540)" in p for p in problems)
    assert any("on primary" in p and "panels" in p for p in problems)
    assert any("accent" in p for p in problems)
    assert all("4.5:1" in p for p in problems)


def test_validate_theme_reports_malformed_colours() -> None:
    theme = Theme(
        primary="teal", accent="#F4A259", background="#0B2540", text="#FFFFFF", on_primary="#FFFFFF"
    )
    problems = validate_theme(theme)
    assert problems == ["primary colour 'teal' is not a #RRGGBB colour."]


def test_muted_keeps_the_target_contrast() -> None:
    faded = muted("#ffffff", "#0b2540", target=6.0)
    assert 6.0 <= contrast_ratio(faded, "#0b2540") < 6.3
    assert muted("#777777", "#ffffff", target=6.0) == (0x77, 0x77, 0x77)
