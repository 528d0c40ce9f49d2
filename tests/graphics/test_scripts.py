"""Every script drawn or refused out loud; right-to-left cards mirrored; photo and labels."""

from __future__ import annotations

import io
import random

import pytest
from bidi import get_display
from PIL import Image, ImageChops, ImageDraw, ImageFont

from campaign.cardrender import (
    describe_character,
    plan_card,
    render_with_report,
    undrawable_characters,
)
from campaign.cardrender.text.fontfiles import FONT_DIR
from campaign.cardrender.text.fonts import raqm_available

from .conftest import sample_spec
from .test_render import check_all

CJK = FONT_DIR / "noto-cjk" / "NotoSansCJK-Regular.ttc"
JAPANESE = "ケタミンと不安についての勉強会"
CHINESE_MYTH = "氯胺酮只是一种派对毒品。"
CHINESE_FACT = "在受控的医疗环境中使用时，氯胺酮既安全又有效。"


def _ink(image: Image.Image, bare: Image.Image, box: tuple[int, int, int, int]) -> int:
    """Pixels the text changed inside `box`."""
    diff = ImageChops.difference(image.crop(box), bare.crop(box)).convert("L")
    return sum(diff.histogram()[41:])


def _reference_ink(lines: tuple[str, ...], face: int, size: int) -> int:
    """Ink of the same lines drawn by plain Pillow with the CJK face (an independent render)."""
    font = ImageFont.truetype(str(CJK), size, index=face)
    total = 0
    for line in lines:
        canvas = Image.new("L", (size * (len(line) + 2), size * 2), 0)
        ImageDraw.Draw(canvas).text((size, size * 3 // 2), line, font=font, fill=255, anchor="ls")
        total += sum(canvas.histogram()[41:])
    return total


def _check_ink_matches(spec: object, preset: str, field: str, face: int) -> None:
    image, report = render_with_report(spec, preset)  # type: ignore[arg-type]
    bare = render_with_report(spec, preset, draw_text=False)[0]  # type: ignore[arg-type]
    assert report.dropped_characters == ()
    run = report.run(field)
    assert run is not None
    drawn = _ink(image, bare, run.bbox)
    reference = _reference_ink(run.lines, face, run.font_size)
    assert 0.85 <= drawn / reference <= 1.15, (field, drawn, reference)


def test_japanese_title_is_drawn_whole_in_the_japanese_face() -> None:
    spec = sample_spec("event", title=JAPANESE)
    report = check_all(spec, "square")
    run = report.run("title")
    assert run is not None and run.families == ("NotoSansCJKjp",)
    assert "".join(run.lines) == JAPANESE
    _check_ink_matches(spec, "square", "title", face=0)


@pytest.mark.parametrize("preset", ["og", "square", "portrait", "story"])
def test_chinese_pair_is_drawn_whole(preset: str) -> None:
    spec = sample_spec("myth_fact", myth=CHINESE_MYTH, fact=CHINESE_FACT)
    report = check_all(spec, preset)
    for field, text in (("myth", CHINESE_MYTH), ("fact", CHINESE_FACT)):
        run = report.run(field)
        assert run is not None and "".join(run.lines) == text
        assert "NotoSansCJKsc" in run.families
    _check_ink_matches(spec, preset, "myth", face=2)


def test_emoji_are_drawn_in_colour() -> None:
    spec = sample_spec("event", title="Community evening 🎉 with friends 👍🏽 🇯🇵")
    check_all(spec, "square")
    image, report = render_with_report(spec, "square")
    run = report.run("title")
    assert run is not None and "NotoColorEmoji" in run.families
    assert report.dropped_characters == ()
    colours = image.crop(run.bbox).getcolors(maxcolors=1 << 20) or []
    vivid = [c for _, c in colours if max(c) - min(c) > 120]  # the theme is navy and white
    assert len(vivid) > 50


@pytest.mark.skipif(not raqm_available(), reason="needs Raqm for right-to-left shaping")
@pytest.mark.parametrize(
    "title",
    ["ندوة 2026 في Leeds", "أمسية توعية (مساءً) رقم 12 في Central Library", "כנס 25.12 בתל אביב"],
)
def test_mixed_direction_lines_are_ordered_as_the_bidi_algorithm_orders_them(title: str) -> None:
    plan = plan_card(sample_spec("event", title=title), "og")
    op = next(op for op in plan.texts if op.field == "title")
    checked = 0
    for line in op.fitted.lines:
        if len(line.segments) == 1:
            continue  # one font draws the line: Raqm (FriBiDi) orders it itself
        checked += 1
        ordered = sorted(line.segments, key=lambda s: s.x)
        # Each run as it appears left to right (a right-to-left run's letters reversed).
        shown = "".join(s.text[::-1] if s.direction == "rtl" else s.text for s in ordered)
        assert shown == get_display(line.text), line.text
    assert checked


def test_right_to_left_card_is_mirrored() -> None:
    fact = "عند إعطائه في بيئة طبية خاضعة للرقابة، يكون الكيتامين آمنًا وفعالًا."
    myth = "الكيتامين مجرد مخدر للحفلات."
    arabic = sample_spec("myth_fact", fact=fact, myth=myth)
    report = check_all(arabic, "square")
    english = render_with_report(sample_spec("myth_fact"), "square")[1]
    assert report.mirrored and not english.mirrored
    width = report.size[0]
    for field in ("fact_label", "myth_label"):
        ours, theirs = report.run(field), english.run(field)
        assert ours is not None and theirs is not None
        # The pill's words sit where the English card's would, seen in a mirror.
        assert abs((width - ours.bbox[2]) - theirs.bbox[0]) <= 2, field
    run = report.run("fact")
    assert run is not None and run.box[2] - run.bbox[2] <= 6  # lines start at the right


def test_undrawable_characters_are_named_for_forms() -> None:
    assert undrawable_characters("Zoë 李 😀 مرحبا") == ()
    assert undrawable_characters("Somchai สมชาย ሰ") == ("ส", "ม", "ช", "า", "ย", "ሰ")
    assert describe_character("ส") == "“ส” (U+0E2A THAI CHARACTER SO SUA)"


def _noisy_photo(size: tuple[int, int] = (640, 480)) -> bytes:
    rng = random.Random(7)
    image = Image.new("RGB", size)
    image.putdata(
        [
            (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            for _ in range(size[0] * size[1])
        ]
    )
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["myth_fact", "event", "attending", "countdown"])
def test_photo_sits_under_a_scrim_the_contrast_check_measures(kind: str) -> None:
    spec = sample_spec(kind, photo=_noisy_photo())
    report = check_all(spec, "portrait")  # >= 4.5:1 against every pixel behind every run
    bare = render_with_report(spec, "portrait", draw_text=False)[0]
    plain = render_with_report(sample_spec(kind), "portrait", draw_text=False)[0]
    assert ImageChops.difference(bare, plain).getbbox() is not None  # the photo shows
    assert report.runs


def test_unreadable_photo_is_left_out() -> None:
    report = check_all(sample_spec("countdown", photo=b"not an image"), "square")
    assert report.runs


def test_every_fixed_word_comes_from_the_labels() -> None:
    spanish = {
        "fact": "Dato",
        "myth": "Mito",
        "source": "Fuente:",
        "scan": "Escanea para más",
        "details_at": "Detalles en",
        "attending_other": "{name} asistirá",
        "days_to": "días para",
    }
    cards = [
        (sample_spec("myth_fact", labels=spanish), "square"),
        (sample_spec("event", labels=spanish), "square"),
        (sample_spec("event", labels=spanish), "story"),
        (sample_spec("attending", labels=spanish), "portrait"),
        (sample_spec("countdown", labels=spanish), "og"),
    ]
    english = ("Fact", "Myth", "Source:", "Scan", "Details", "attending", "days to")
    for spec, preset in cards:
        drawn = " ".join(render_with_report(spec, preset)[1].drawn_text().values())
        for word in english:
            assert word not in drawn, (spec.kind, preset, word)
    drawn = render_with_report(cards[3][0], "portrait")[1].drawn_text()
    assert drawn["first_name"] == "Priya" and drawn["attending"] == "asistirá"
