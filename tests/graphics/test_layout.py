"""Text fitting: wrapping by measured width, shrinking, truncation, overflow counts, bidi."""

from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from campaign.cardrender.text.bidi import paragraph_direction
from campaign.cardrender.text.fitting import (
    ELLIPSIS,
    DoesNotFit,
    FittedText,
    SizeRange,
    TextStyle,
    fit_text,
)
from campaign.cardrender.text.fontfiles import BOLD, REGULAR, SEMIBOLD
from campaign.cardrender.text.fontruns import Segment, segment_line, visual_order
from campaign.cardrender.text.measure import estimate_line, estimate_slack, measure_line, text_width
from campaign.cardrender.text.wrapping import wrap
from campaign.cardrender.typescale import BODY_FLOOR, HEADING_FLOOR, LAYOUTS

from .conftest import PROPERTY_SETTINGS, scripted_text, text_in

BODY = TextStyle(REGULAR, SizeRange(44, 64))
LOREM = (
    "Ketamine operates by antagonizing the receptor, a critical component of the neural "
    "pathways associated with mood regulation and cognition, and this sentence keeps going "
    "so that it will not fit in a small box at the floor size no matter what we do to it."
)


def test_layout_numbers_respect_the_promised_floors() -> None:
    for name, lay in LAYOUTS.items():
        assert lay.type.body.min >= BODY_FLOOR[name]
        assert lay.type.heading.min >= HEADING_FLOOR
        assert lay.type.display.min >= HEADING_FLOOR
        for role in ("display", "heading", "body", "label", "caption"):
            sizes = lay.type.role(role)
            assert sizes.min <= sizes.max
    assert BODY_FLOOR["og"] >= 48
    assert all(BODY_FLOOR[n] >= 44 for n in ("square", "portrait", "story"))


@PROPERTY_SETTINGS
@given(text=scripted_text(30, 40), width=st.integers(200, 1000))
def test_wrapped_lines_fit_the_width(text: str, width: int) -> None:
    lines = wrap(text, SEMIBOLD, 48, width)
    assert lines
    for line in lines:
        assert measure_line(line, SEMIBOLD, 48, paragraph_direction(line)).width <= width
    # Nothing is lost or invented: the words come back (long words rejoined).
    assert "".join(lines).replace(" ", "") == "".join(text.split())


def test_over_long_words_are_broken_to_fit() -> None:
    word = "Pneumonoultramicroscopicsilicovolcanoconiosis"
    lines = wrap(word, BOLD, 64, 400)
    assert len(lines) > 1
    assert "".join(lines) == word
    assert all(text_width(line, BOLD, 64) <= 400 for line in lines)


def test_devanagari_words_break_between_clusters_only() -> None:
    word = "क्षत्रियोंकीविरासतविद्यालयकेलिए"
    lines = wrap(word, REGULAR, 64, 200)
    assert "".join(lines) == word
    for line in lines[1:]:
        assert not line.startswith(("्", "ि", "ो", "ी", "े", "ं"))


def test_fit_picks_the_largest_size_that_fits() -> None:
    text = "Ketamine can provide rapid relief from anxiety symptoms."
    roomy = fit_text(text, BODY, 1000, 1000)
    tight = fit_text(text, BODY, 500, 260)
    assert isinstance(roomy, FittedText) and isinstance(tight, FittedText)
    assert roomy.size == 64
    assert 44 <= tight.size < roomy.size
    assert tight.height <= 260
    bigger = fit_text(text, BODY.at_size(tight.size + 2), 500, 260)
    assert isinstance(bigger, DoesNotFit)


def test_heights_include_ascenders_and_descenders() -> None:
    fitted = fit_text("Égypte gjpqy", BODY.at_size(60), 1000, 1000)
    assert isinstance(fitted, FittedText)
    line = fitted.lines[0]
    assert line.ink is not None
    top, bottom = line.box[1], line.box[3]
    assert top <= line.ink[1] and line.ink[3] <= bottom
    assert top >= 0 and bottom <= fitted.height
    assert fitted.height >= 60


def test_overflow_count_is_what_must_be_cut() -> None:
    width, height = 600, 300
    result = fit_text(LOREM, BODY, width, height)
    assert isinstance(result, DoesNotFit)
    assert result.size == 44
    assert 0 < result.overflow_chars < len(LOREM)
    kept = LOREM[: len(LOREM) - result.overflow_chars]
    assert isinstance(fit_text(kept, BODY, width, height), FittedText)
    # ... and one more word than that does not
    more = LOREM[: LOREM.find(" ", len(kept) + 1)]
    assert len(more) > len(kept)
    assert isinstance(fit_text(more, BODY, width, height), DoesNotFit)


def test_titles_truncate_at_a_word_boundary() -> None:
    style = TextStyle(BOLD, SizeRange(64, 96), max_lines=2)
    fitted = fit_text(LOREM, style, 800, 1000, truncate=True)
    assert isinstance(fitted, FittedText)
    assert fitted.truncated and fitted.text.endswith(ELLIPSIS)
    assert len(fitted.lines) == 2 and fitted.size == 64
    head = fitted.text.removesuffix(ELLIPSIS)
    assert LOREM.startswith(head) and LOREM[len(head)] == " "


def test_max_lines_shrinks_before_failing() -> None:
    style = TextStyle(REGULAR, SizeRange(44, 80), max_lines=1)
    fitted = fit_text("Community Hall, Leeds", style, 520, 200)
    assert isinstance(fitted, FittedText)
    assert len(fitted.lines) == 1 and fitted.size < 80


def test_balanced_wrapping_avoids_a_lonely_last_word() -> None:
    text = "Sat 12 Dec 2026, 18:00 GMT"
    width = text_width("Sat 12 Dec 2026, 18:00", SEMIBOLD, 48) + 4
    plain = fit_text(text, TextStyle(SEMIBOLD, SizeRange(48, 48)), width, 500)
    even = fit_text(text, TextStyle(SEMIBOLD, SizeRange(48, 48), balance=True), width, 500)
    assert isinstance(plain, FittedText) and isinstance(even, FittedText)
    assert [len(line.text) for line in plain.lines] == [22, 3]
    assert len(even.lines) == 2 and min(len(line.text) for line in even.lines) > 3


# --- Bidi ----------------------------------------------------------------------------------------


def test_paragraph_direction_comes_from_the_first_strong_character() -> None:
    assert paragraph_direction("2026 مرحبا Leeds") == "rtl"
    assert paragraph_direction("Leeds مرحبا") == "ltr"
    assert paragraph_direction("שלום") == "rtl"
    assert paragraph_direction("12:00") == "ltr"


def test_mixed_font_line_is_ordered_right_to_left() -> None:
    base = paragraph_direction("שלום, 12 Dec")
    logical = segment_line("שלום, 12 Dec", base)
    assert [s.family for s in logical] == ["NotoSansHebrew", "Inter", "Inter", "Inter", "Inter"]
    assert [s.text for s in logical] == ["שלום", ", ", "12", " ", "Dec"]
    assert [s.level for s in logical] == [1, 1, 2, 1, 2]
    visual = visual_order(logical, base)
    # As UAX #9 (and every browser) shows it: the number stays beside the comma.
    assert [s.text for s in visual] == ["Dec", " ", "12", ", ", "שלום"]


def test_visual_order_keeps_ltr_runs_in_order_inside_rtl() -> None:
    segs = (
        Segment("א", "X", "rtl"),
        Segment("A", "X", "ltr"),
        Segment("B", "Y", "ltr"),
        Segment("ב", "X", "rtl"),
    )
    assert [s.text for s in visual_order(segs, "rtl")] == ["ב", "A", "B", "א"]
    assert [s.text for s in visual_order(segs, "ltr")] == ["א", "A", "B", "ב"]


def test_rtl_lines_align_right() -> None:
    fitted = fit_text("مرحبا بالعالم", BODY.at_size(48), 900, 500)
    assert isinstance(fitted, FittedText) and fitted.direction == "rtl"
    line = fitted.lines[0]
    assert line.ink is not None
    assert 890 <= line.box[2] <= 900
    assert line.ink[0] > 400


# --- Estimates (words shaped once with HarfBuzz) only steer; exact measuring decides ----------


def _greedy_exact(text: str, weight: str, size: int, width: int) -> list[str]:
    """Greedy wrapping that measures every candidate line with Pillow (the reference)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if not current or measure_line(candidate, weight, size, "ltr").width <= width:
            current = candidate
        else:
            lines.append(current)
            current = word
    return [*lines, current] if current else lines


@PROPERTY_SETTINGS
@given(
    text=text_in("latin", 40, 12),
    weight=st.sampled_from([REGULAR, SEMIBOLD, BOLD]),
    size=st.integers(22, 120),
    slack=st.integers(0, 400),
)
@example(text="4 x 4 x 4 x 4 x 4 x 4 x 4 x 4", weight=REGULAR, size=40, slack=200)
def test_wrapping_decides_exactly_as_measuring_every_line(
    text: str, weight: str, size: int, slack: int
) -> None:
    widest = max(text_width(word, weight, size) for word in text.split())
    width = widest + slack
    assert wrap(text, weight, size, width) == _greedy_exact(text, weight, size, width)


@PROPERTY_SETTINGS
@given(
    text=text_in("latin", 20, 12),
    weight=st.sampled_from([REGULAR, SEMIBOLD, BOLD]),
    size=st.integers(22, 200),
)
@example(text="0 x 0", weight=REGULAR, size=31)  # Inter draws that x as a sign (×)
def test_line_estimates_stay_within_their_error_bound(text: str, weight: str, size: int) -> None:
    text = " ".join(text.split())
    exact = measure_line(text, weight, size, "ltr")
    estimate = estimate_line(text, weight, size, "ltr")
    if estimate is None:  # only a form across a space, which is measured exactly instead
        assert re.search(r"\d ?x ?\d", text), text
        return
    assert abs(estimate.width - exact.width) <= estimate_slack(exact.width)
    assert abs(estimate.advance - exact.advance) <= 1
    assert exact.ink is not None and estimate.ink is not None
    assert abs(estimate.ink[1] - exact.ink[1]) <= 2  # top
    assert abs(estimate.ink[3] - exact.ink[3]) <= 2  # bottom


def test_kerning_across_spaces_is_part_of_the_estimate() -> None:
    text = " ".join(["A, AV. To, Ty."] * 12)  # pairs that kern with the space between them
    for weight in (REGULAR, SEMIBOLD, BOLD):
        exact = measure_line(text, weight, 64, "ltr")
        estimate = estimate_line(text, weight, 64, "ltr")
        assert estimate is not None
        assert abs(estimate.advance - exact.advance) <= 1


def test_text_outside_the_reference_family_is_never_estimated() -> None:
    assert estimate_line("שלום עולם", REGULAR, 48, "rtl") is None
    assert estimate_line("नमस्ते दुनिया", REGULAR, 48, "ltr") is None
    assert estimate_line("Hello שלום", REGULAR, 48, "ltr") is None


def test_fitting_picks_the_largest_size_that_fits_exactly() -> None:
    width, height = 700, 400
    fitted = fit_text(LOREM[:160], BODY, width, height)
    assert isinstance(fitted, FittedText)
    bigger = fitted.size + BODY.step
    if bigger <= BODY.sizes.max:
        lines = _greedy_exact(LOREM[:160], REGULAR, bigger, width)
        pitch = round(bigger * BODY.line_height)
        assert len(lines) * pitch > height or any(
            measure_line(line, REGULAR, bigger, "ltr").width > width for line in lines
        ), "the next size up would have fitted too"
