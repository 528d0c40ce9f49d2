"""A card whose locale reads right to left is mirrored: its layout, not its words.

The graphics layer passes `direction="rtl"` for a right-to-left locale (whatever script the
card's own texts are in); these tests compare each kind's right-to-left plan with its
left-to-right one, field by field, and draw a Hebrew card.
"""

from __future__ import annotations

import dataclasses

import pytest

from campaign.cardrender import plan_card, render_with_report
from campaign.cardrender.plan import Box, Plan
from campaign.cardrender.specs import PRESETS

from .conftest import KINDS, sample_spec
from .test_render import check_all

# Every kind in a tall and the wide preset (the wide one lays content out side by side).
CASES = [(kind, preset) for kind in KINDS for preset in ("og", "portrait")]


def _flipped(box: Box, width: int) -> Box:
    return (width - box[2], box[1], width - box[0], box[3])


def _plans(kind: str, preset: str) -> tuple[Plan, Plan]:
    ltr = plan_card(sample_spec(kind, direction="ltr"), preset)
    rtl = plan_card(sample_spec(kind, direction="rtl"), preset)
    return ltr, rtl


@pytest.mark.parametrize(("kind", "preset"), CASES)
def test_every_block_sits_where_the_left_to_right_one_would_in_a_mirror(
    kind: str, preset: str
) -> None:
    ltr, rtl = _plans(kind, preset)
    width = PRESETS[preset].width
    assert rtl.mirrored and not ltr.mirrored
    assert [t.field for t in rtl.texts] == [t.field for t in ltr.texts]
    for ours, theirs in zip(rtl.texts, ltr.texts, strict=True):
        assert ours.box == _flipped(theirs.box, width), ours.field
        assert ours.origin[0] == width - theirs.origin[0] - theirs.fitted.width, ours.field
        assert ours.origin[1] == theirs.origin[1], ours.field
    assert [s.box for s in rtl.shapes] == [_flipped(s.box, width) for s in ltr.shapes]
    if ltr.qr_box is not None:  # the QR code changes sides
        assert rtl.qr_box == _flipped(ltr.qr_box, width)
        assert (rtl.qr_box[0] < width // 2) != (ltr.qr_box[0] < width // 2)
    for ours_image, theirs_image in zip(rtl.images, ltr.images, strict=True):  # logo, QR
        x, y = theirs_image.xy
        assert ours_image.xy == (width - x - theirs_image.image.width, y)


@pytest.mark.parametrize(("kind", "preset"), CASES)
def test_lines_start_at_the_right_edge_of_their_box(kind: str, preset: str) -> None:
    """Text aligned to the start hugs the box's left edge on an English card and its right
    edge on a right-to-left one (checked on the first line of every text)."""
    ltr, rtl = _plans(kind, preset)
    hugging = 0
    for ours, theirs in zip(rtl.texts, ltr.texts, strict=True):
        line, their_line = ours.fitted.lines[0], theirs.fitted.lines[0]
        left_gap = theirs.origin[0] + their_line.box[0] - theirs.box[0]
        right_gap = ours.box[2] - (ours.origin[0] + line.box[2])
        assert right_gap == left_gap, ours.field  # centred text stays centred
        if left_gap <= 1 and theirs.box[2] - (theirs.origin[0] + their_line.box[2]) > 2:
            hugging += 1
    assert hugging, "some text is start-aligned on every card"


def test_the_direction_comes_from_the_spec_not_from_the_script() -> None:
    """Latin text on a right-to-left card is mirrored; an English card stays as it was,
    and "auto" (the default) still follows the card's own text."""
    english = plan_card(sample_spec("event"), "square")
    assert not english.mirrored
    assert plan_card(sample_spec("event", direction="rtl"), "square").mirrored
    hebrew = sample_spec("event", title="ערב קהילתי על קטמין וחרדה")
    assert plan_card(hebrew, "square").mirrored
    assert not plan_card(dataclasses.replace(hebrew, direction="ltr"), "square").mirrored
    with pytest.raises(ValueError, match="direction must be one of"):
        sample_spec("event", direction="right-to-left")


@pytest.mark.parametrize("kind", KINDS)
def test_a_hebrew_card_is_drawn_mirrored_and_legible(kind: str) -> None:
    hebrew = {
        "myth_fact": {
            "myth": "קטמין הוא רק סם מסיבות.",
            "fact": "במסגרת רפואית מבוקרת, קטמין בטוח ויעיל.",
        },
        "event": {"title": "ערב קהילתי על קטמין וחרדה", "place_text": "אולם הקהילה, חיפה"},
        "attending": {"first_name": "נועה", "event_title": "ערב קהילתי על קטמין וחרדה"},
        "countdown": {"campaign_name": "יום הקטמין הלאומי"},
    }[kind]
    spec = sample_spec(kind, direction="rtl", **hebrew)
    report = check_all(spec, "square")  # contained, above the size floors, 4.5:1 contrast
    assert report.mirrored and not report.dropped_characters
    english = render_with_report(sample_spec(kind), "square")[1]
    width = report.size[0]
    field = {"myth_fact": "fact", "event": "title", "attending": "event_title"}.get(
        kind, "campaign_name"
    )
    ours, theirs = report.run(field), english.run(field)
    assert ours is not None and theirs is not None
    assert "קטמין" in ours.text or "נועה" in ours.text or "קהילתי" in ours.text
    # Its ink starts at the right of its slot, where the English card's starts at the left.
    assert ours.box[2] - ours.bbox[2] <= 6 and theirs.bbox[0] - theirs.box[0] <= 6
    flipped = _flipped(theirs.box, width)
    assert (ours.box[0], ours.box[2]) == (flipped[0], flipped[2])  # the same column, mirrored
