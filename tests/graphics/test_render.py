"""Rendering: sizes, boxes, floors, contrast against real pixels, glyphs, QR, PNG budget."""

from __future__ import annotations

import io
import itertools
import random

import pytest
import segno
from hypothesis import example, given
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageDraw

from campaign.cardrender.contrast import MIN_TEXT_CONTRAST, contrast_ratio, parse_colour
from campaign.cardrender.keys import cache_key
from campaign.cardrender.qr import QR_BORDER_MODULES
from campaign.cardrender.rendering import (
    MAX_PNG_BYTES,
    RenderReport,
    TextDoesNotFit,
    check_myth_fact_fits,
    encode_png,
    render,
    render_with_report,
)
from campaign.cardrender.specs import PRESETS, CardSpec, CountdownCard, Theme
from campaign.cardrender.text.fonts import raqm_available
from campaign.cardrender.typescale import BODY_FLOOR, HEADING_FLOOR, LAYOUTS

from .conftest import (
    DISCLAIMER,
    KINDS,
    PROPERTY_SETTINGS,
    SOURCE_TITLE,
    pixels_in,
    sample_spec,
    scripted_text,
)

PRESET_NAMES = tuple(PRESETS)
LONG = (
    "Ketamine operates by antagonizing the receptor, a critical component of the neural "
    "pathways associated with mood regulation and cognition, and this text keeps going well "
    "past anything that could fit on a share card at the smallest allowed size of the body "
    "copy, however the card is laid out, because it repeats itself: "
) * 2


def _inside(inner: tuple[int, ...], outer: tuple[int, ...], slack: int = 0) -> bool:
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


def _overlap(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def check_geometry(report: RenderReport) -> None:
    """Every run's ink is inside its box, its box inside the image and the safe zone."""
    width, height = report.size
    _, safe_top, _, safe_bottom = report.text_area
    for run in report.runs:
        assert run.text, run
        assert _inside(run.bbox, run.box), (run.field, run.bbox, run.box)
        assert _inside(run.box, (0, 0, width, height)), (run.field, run.box)
        assert safe_top <= run.bbox[1] and run.bbox[3] <= safe_bottom, (run.field, run.bbox)
    for a, b in itertools.combinations(report.runs, 2):
        assert not _overlap(a.bbox, b.bbox), (a.field, b.field)
        assert not _overlap(a.box, b.box), (a.field, a.box, b.field, b.box)


def check_floors(report: RenderReport) -> None:
    """Body text and headings never go under the promised sizes."""
    for run in report.runs:
        if run.role == "body":
            assert run.font_size >= BODY_FLOOR[report.preset], run
        elif run.role in ("heading", "display"):
            assert run.font_size >= HEADING_FLOOR, run
        else:
            assert run.font_size >= LAYOUTS[report.preset].type.caption.min, run


def check_pixels(image: Image.Image, bare: Image.Image, report: RenderReport) -> None:
    """Text pixels lie inside the reported boxes; every pixel behind them gives >= 4.5:1,
    and the reported background is a bound no kinder than the worst of them."""
    boxes = Image.new("L", image.size, 0)
    draw = ImageDraw.Draw(boxes)
    for run in report.runs:
        draw.rectangle((run.bbox[0], run.bbox[1], run.bbox[2] - 1, run.bbox[3] - 1), fill=255)
    changed = ImageChops.difference(image, bare).convert("L").point(lambda v: 255 if v else 0)
    outside = ImageChops.multiply(changed, ImageChops.invert(boxes))
    assert outside.getbbox() is None, f"text drawn outside its boxes at {outside.getbbox()}"
    for run in report.runs:
        behind = pixels_in(bare, run.bbox)
        worst = min(contrast_ratio(run.fill, colour) for colour in behind)
        assert worst >= MIN_TEXT_CONTRAST, (run.field, worst)
        assert contrast_ratio(run.fill, run.background) <= worst + 1e-9, run.field
        # the text really is drawn in the reported colour
        assert parse_colour(run.fill) in pixels_in(image, run.bbox), run.field


def check_all(spec: CardSpec, preset: str) -> RenderReport:
    image, report = render_with_report(spec, preset)
    bare, _ = render_with_report(spec, preset, draw_text=False)
    assert image.mode == "RGB"
    assert image.size == (PRESETS[preset].width, PRESETS[preset].height)
    check_geometry(report)
    check_floors(report)
    check_pixels(image, bare, report)
    return report


# --- Every kind in every preset ------------------------------------------------------------------


@pytest.mark.parametrize("preset", PRESET_NAMES)
@pytest.mark.parametrize("kind", KINDS)
def test_card_is_exact_size_and_all_text_is_contained_and_legible(kind: str, preset: str) -> None:
    report = check_all(sample_spec(kind), preset)
    assert report.kind == kind and report.preset == preset
    assert {"campaign_name", "hashtag"} <= {r.field for r in report.runs}


def test_render_returns_the_same_image_as_the_report() -> None:
    spec = sample_spec("event")
    assert render(spec, "og").tobytes() == render_with_report(spec, "og")[0].tobytes()


def test_unknown_preset_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown preset"):
        render(sample_spec("event"), "banner")


def test_story_keeps_text_out_of_the_top_and_bottom() -> None:
    assert PRESETS["story"].text_area == (0, 269, 1080, 1536)
    report = render_with_report(sample_spec("myth_fact"), "story")[1]
    assert min(r.bbox[1] for r in report.runs) >= 269
    assert max(r.bbox[3] for r in report.runs) <= 1536


# --- Property tests: random lengths and scripts --------------------------------------------------

PRESET = st.sampled_from(PRESET_NAMES)


@PROPERTY_SETTINGS
@given(preset=PRESET, title=scripted_text(25), when=scripted_text(6, 10), place=scripted_text(12))
def test_event_text_never_overflows(preset: str, title: str, when: str, place: str) -> None:
    spec = sample_spec("event", title=title, when_text=when, place_text=place)
    try:
        check_all(spec, preset)
    except TextDoesNotFit as exc:  # only the when text may refuse (it is never cut)
        assert exc.field == "when_text" and exc.overflow_chars > 0


@PROPERTY_SETTINGS
@given(
    preset=PRESET,
    name=st.one_of(st.none(), scripted_text(2, 12)),
    title=scripted_text(20),
    place=scripted_text(10),
)
def test_attending_text_never_overflows(
    preset: str, name: str | None, title: str, place: str
) -> None:
    spec = sample_spec("attending", first_name=name, event_title=title, place_text=place)
    check_all(spec, preset)


@PROPERTY_SETTINGS
@given(
    preset=PRESET,
    days=st.integers(0, 999),
    name=scripted_text(5, 12),
    day=scripted_text(4, 10),
    tagline=scripted_text(20),
)
# An Arabic line is taller than the og card's brand row at the caption size (CI, once).
@example(preset="og", days=5, name="\u0639", day="day", tagline="")
# A day text whose balanced two lines are lower than its greedy ones (a ring above the
# first line's Å), at the floor of a full column (make test, once).
@example(
    preset="square",
    days=0,
    name="A",
    day="AAA AAAAAAAAA AAAAAAAÅ AAAAAAAAA",
    tagline="А А А А А А А А ААААА АААААА ААААААААА АААААААА АААААААААААААА АААААААА ААААААААА",
)
def test_countdown_text_never_overflows(
    preset: str, days: int, name: str, day: str, tagline: str
) -> None:
    spec = sample_spec("countdown", days=days, campaign_name=name, day_text=day, tagline=tagline)
    try:
        check_all(spec, preset)
    except TextDoesNotFit as exc:
        assert exc.field == "day_text" and exc.overflow_chars > 0


@PROPERTY_SETTINGS
@given(preset=PRESET, myth=scripted_text(8, 10), fact=scripted_text(16, 10))
def test_myth_fact_text_fits_or_is_refused(preset: str, myth: str, fact: str) -> None:
    spec = sample_spec("myth_fact", myth=myth, fact=fact)
    try:
        check_all(spec, preset)
    except TextDoesNotFit as exc:
        assert exc.field in ("myth", "fact")
        assert 0 < exc.overflow_chars <= len(getattr(spec, exc.field))


# --- Myth/fact specifics --------------------------------------------------------------------------


@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_myth_fact_card_carries_labels_source_and_disclaimer(preset: str) -> None:
    address = "ketamineday.example.org/facts/party-drug-only"
    report = render_with_report(sample_spec("myth_fact", address=address), preset)[1]
    text = report.drawn_text()
    assert text["myth_label"] == "Myth"
    assert text["fact_label"] == "Fact"
    if preset == "og":  # one paragraph of small print, >= 32 px
        assert text["footer"] == f"Source: {SOURCE_TITLE}. {DISCLAIMER}"
        footer = report.run("footer")
        assert footer is not None and footer.font_size >= 32
    else:
        assert text["source_title"] == f"Source: {SOURCE_TITLE}"
        assert text["disclaimer"] == DISCLAIMER
    assert text["address"] == address
    myth, fact = report.run("myth"), report.run("fact")
    assert myth is not None and fact is not None
    # the myth is de-emphasised (fainter, lighter weight) but still readable
    assert contrast_ratio(myth.fill, myth.background) < contrast_ratio(fact.fill, fact.background)
    assert contrast_ratio(myth.fill, myth.background) >= MIN_TEXT_CONTRAST
    assert (myth.weight, fact.weight) == ("regular", "semibold")
    assert myth.font_size <= fact.font_size
    # The debunking order: the fact (and its label) above the warning label and the myth.
    labels = (report.run("fact_label"), report.run("myth_label"))
    assert labels[0] is not None and labels[1] is not None
    if preset != "og":
        assert labels[0].bbox[3] <= fact.bbox[1]
    assert fact.bbox[3] <= labels[1].bbox[1] and fact.bbox[3] <= myth.bbox[1]
    assert labels[1].bbox[1] < myth.bbox[3]  # the warning comes before the myth is done


def test_myth_is_legible_with_no_strike_through() -> None:
    """The myth's ink is only its letters: no rule drawn through it (OCR reads it whole)."""
    spec = sample_spec("myth_fact")
    image, report = render_with_report(spec, "square")
    myth = report.run("myth")
    assert myth is not None
    bare = render_with_report(spec, "square", draw_text=False)[0]
    x0, y0, x1, y1 = myth.bbox
    fill = parse_colour(myth.fill)
    for y in range(y0, y1):  # a strike-through would fill most of some row
        row = [image.getpixel((x, y)) for x in range(x0, x1)]
        assert sum(1 for p in row if p == fill) < (x1 - x0) * 0.5, y
    assert bare.getpixel((x0, y0)) != fill


def test_overlong_fact_is_refused_with_how_much_to_cut() -> None:
    spec = sample_spec("myth_fact", fact=LONG)
    with pytest.raises(TextDoesNotFit) as caught:
        render(spec, "square")
    assert caught.value.field == "fact"
    assert 0 < caught.value.overflow_chars < len(LONG)
    myth = "Ketamine is only a recreational party drug."
    problems = check_myth_fact_fits(myth, LONG, SOURCE_TITLE, DISCLAIMER)
    assert set(problems) == {"fact"}
    assert problems["fact"] >= caught.value.overflow_chars
    trimmed = " ".join(LONG.split())[: len(" ".join(LONG.split())) - problems["fact"]]
    assert check_myth_fact_fits(myth, trimmed, SOURCE_TITLE, DISCLAIMER) == {}


def test_overlong_myth_is_refused() -> None:
    problems = check_myth_fact_fits(LONG[:400], "Short fact.", SOURCE_TITLE, DISCLAIMER)
    assert set(problems) == {"myth"}
    assert problems["myth"] > 0


def test_alt_text_budget_is_part_of_the_editor_check() -> None:
    myth = "It is not worth asking a doctor about ketamine."
    fact = (
        "If you are struggling with anxiety, consider talking to a healthcare provider "
        "about the potential benefits of ketamine treatment."
    )
    assert (
        check_myth_fact_fits(
            myth, fact, SOURCE_TITLE, DISCLAIMER, campaign_name="NKD", hashtag="#NKD"
        )
        == {}
    )
    source = SOURCE_TITLE + ", a plain-language explainer"
    disclaimer = DISCLAIMER.removesuffix(".") + " before any treatment."
    problems = check_myth_fact_fits(
        myth,
        fact,
        source,
        disclaimer,
        campaign_name="National Ketamine Day",
        hashtag="#NationalKetamineDay",
    )
    assert set(problems) == {"alt_text"} and problems["alt_text"] > 0


# --- Glyphs and names ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["สมชาย", "Sam ሰ", "ሰላም"])
def test_name_with_undrawable_characters_is_left_off(name: str) -> None:
    report = render_with_report(sample_spec("attending", first_name=name), "square")[1]
    assert report.name_omitted
    assert report.run("first_name") is None
    assert report.drawn_text()["attending"] == "I’m attending"


@pytest.mark.parametrize(
    "name", ["Zoë", "Αλέξης", "Дарья", "سارة", "שרה", "प्रिया", "李雷", "さくら", "Sam 😀"]
)
def test_names_in_supported_scripts_are_drawn(name: str) -> None:
    report = check_all(sample_spec("attending", first_name=name), "og")
    assert not report.name_omitted
    assert report.drawn_text()["first_name"] == name
    assert report.drawn_text()["attending"] == "is attending"


def test_no_name_says_im_attending() -> None:
    for name in (None, "", "   "):
        report = render_with_report(sample_spec("attending", first_name=name), "portrait")[1]
        assert not report.name_omitted
        assert report.drawn_text()["attending"] == "I’m attending"


def test_undrawable_characters_elsewhere_are_dropped_and_reported() -> None:
    report = render_with_report(sample_spec("event", title="Party สม night ሰ"), "og")[1]
    assert report.drawn_text()["title"] == "Party night"
    assert set(report.dropped_characters) == {"ส", "ม", "ሰ"}


@pytest.mark.skipif(not raqm_available(), reason="needs Raqm for right-to-left layout")
def test_right_to_left_title_is_right_aligned_and_shaped() -> None:
    title = "أمسية توعية حول الكيتامين"
    report = check_all(sample_spec("event", title=title), "square")
    run = report.run("title")
    assert run is not None and run.families == ("NotoSansArabic",)
    assert run.box[2] - run.bbox[2] <= 8  # hugs the right edge
    assert run.bbox[0] - run.box[0] > 100


# --- Countdown wording ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "big", "joiner"),
    [(0, "Today", "is"), (1, "1", "day to"), (2, "2", "days to"), (365, "365", "days to")],
)
def test_countdown_wording(days: int, big: str, joiner: str) -> None:
    text = render_with_report(sample_spec("countdown", days=days), "square")[1].drawn_text()
    assert text["countdown_number"] == big
    assert text["countdown_joiner"] == joiner
    assert text["countdown_name"] == "National Ketamine Day"


def test_countdown_refuses_negative_days() -> None:
    with pytest.raises(ValueError, match="days"):
        CountdownCard(-1, "National Ketamine Day", "", "", "#x")


# --- QR code -------------------------------------------------------------------------------------


def test_story_event_carries_the_address_large_instead_of_a_qr_code() -> None:
    url = "https://ketamineday.example.org/events/community-evening"
    report = check_all(sample_spec("event", url_for_qr=url), "story")
    assert report.qr_box is None
    address = report.run("address")
    assert (
        address is not None and address.text == "ketamineday.example.org/events/community-evening"
    )
    assert address.font_size >= 44
    assert report.drawn_text()["details_at"] == "Details at"


@pytest.mark.parametrize("preset", ["og", "square", "portrait"])
def test_qr_code_reads_back_module_for_module(preset: str) -> None:
    url = "https://example.org/events/understanding-ketamine-leeds"
    image, report = render_with_report(sample_spec("event", url_for_qr=url), preset)
    assert report.qr_box is not None and report.qr_module is not None
    assert report.qr_module >= LAYOUTS[preset].qr_module_min
    x0, y0, x1, _ = report.qr_box
    module = report.qr_module
    expected = segno.make_qr(url, error="m")
    rows = [list(r) for r in expected.matrix_iter(scale=1, border=QR_BORDER_MODULES)]
    assert (x1 - x0) == len(rows) * module
    grey = image.convert("L")
    for j, row in enumerate(rows):
        for i, dark in enumerate(row):
            centre = (x0 + i * module + module // 2, y0 + j * module + module // 2)
            assert (grey.getpixel(centre) < 128) == bool(dark), (i, j)


# --- Logo ----------------------------------------------------------------------------------------


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_logo_is_drawn_beside_the_campaign_name() -> None:
    logo = _png(Image.new("RGBA", (300, 100), (220, 20, 60, 255)))
    spec = sample_spec("countdown", logo=logo)
    image, report = render_with_report(spec, "square")
    name = report.run("campaign_name")
    assert name is not None
    brand_strip = image.crop((0, name.box[1], name.box[0], name.box[3]))
    assert (220, 20, 60) in {c for _, c in brand_strip.getcolors(1 << 20)}
    check_geometry(report)


def test_broken_logo_is_skipped() -> None:
    image = render(sample_spec("event", logo=b"\x89PNG not really"), "og")
    assert image.size == (1200, 630)


# --- PNG budget ----------------------------------------------------------------------------------


def _noisy_logo() -> bytes:
    rng = random.Random(7)
    noise = Image.frombytes("RGB", (600, 200), rng.randbytes(600 * 200 * 3))
    return _png(noise)


WORST = {
    "myth_fact": {
        "myth": "Ketamine is only a recreational party drug, nothing more.",
        "fact": "If you are struggling with anxiety, consider talking to a healthcare "
        "provider about the potential benefits of ketamine treatment.",
    },
    "event": {"title": "أمسية توعية حول الكيتامين والقلق " * 4, "place_text": "Αθήνα " * 20},
    "attending": {"first_name": "प्रिया", "event_title": "Привет всем " * 12},
    "countdown": {"days": 888, "tagline": "Learn the facts, talk to a healthcare provider " * 3},
}


@pytest.mark.parametrize("kind", KINDS)
def test_png_stays_under_300_kb_in_the_worst_case(kind: str) -> None:
    spec = sample_spec(kind, logo=_noisy_logo(), **WORST[kind])
    for preset in ("story", "og"):
        data = encode_png(render(spec, preset))
        assert len(data) <= MAX_PNG_BYTES, (preset, len(data))
        with Image.open(io.BytesIO(data)) as decoded:
            assert decoded.size == PRESETS[preset].size


def test_encode_png_falls_back_to_a_palette() -> None:
    image = render(sample_spec("myth_fact"), "square")
    full = encode_png(image)
    small = encode_png(image, max_bytes=len(full) - 1)
    assert len(small) < len(full)
    with Image.open(io.BytesIO(small)) as decoded:
        assert decoded.mode == "P"


# --- Cache key -----------------------------------------------------------------------------------


def test_cache_key_changes_with_everything_that_changes_the_picture() -> None:
    spec = sample_spec("event")
    key = cache_key(spec, "og")
    assert key == cache_key(sample_spec("event"), "og")
    assert len(key) == 32
    others = {
        cache_key(spec, "square"),
        cache_key(sample_spec("event", title="Another title"), "og"),
        cache_key(sample_spec("event", logo=b"logo"), "og"),
        cache_key(
            sample_spec(
                "event", theme=Theme("#000000", "#ffcc00", "#111111", "#ffffff", "#ffffff")
            ),
            "og",
        ),
        cache_key(sample_spec("myth_fact"), "og"),
    }
    assert key not in others and len(others) == 5


def test_custom_theme_still_meets_contrast() -> None:
    theme = Theme(
        primary="#FFFFFF",
        accent="#7A1F5C",
        background="#F5F1E8",
        text="#1B1B1B",
        on_primary="#1B1B1B",
    )
    for kind in KINDS:
        check_all(sample_spec(kind, theme=theme), "square")
