"""The printable flyer: exact paper sizes at 300 dpi, every text inside its box and legible
at print floors, the disclaimer whole, a QR code that reads back, and a small PDF."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from campaign.cardrender import (
    MAX_PDF_BYTES,
    PAPERS,
    FlyerCard,
    TextDoesNotFit,
    encode_pdf,
    render_flyer,
    render_flyer_with_report,
)
from campaign.cardrender.draw import RenderReport
from campaign.cardrender.typescale import FLYER_LAYOUT

from .test_render import check_geometry, check_pixels

URL = "https://campaign.example.org/events/understanding-ketamine-leeds"
PAPER_POINTS = {"letter": (612.0, 792.0), "a4": (595.2, 841.92)}
LONGEST_DISCLAIMER = ("WWWWWWW MMMMMMM " * 25)[:400]  # the settings' limit, widest letters


def flyer(**fields: object) -> FlyerCard:
    values: dict[str, object] = {
        "title": "Understanding Ketamine: A Community Talk",
        "when_text": "Sat 9 Jan 2027, 18:30–20:00 GMT",
        "place_text": "Leeds Central Library",
        "campaign_name": "National Ketamine Day",
        "hashtag": "#NationalKetamineDay",
        "url_for_qr": URL,
        "disclaimer": "Educational content, not medical advice. Talk to a healthcare provider.",
        "summary": "An evening talk with time for questions.",
        "place_detail": "Calverley Street, Leeds, England, United Kingdom",
    }
    values.update(fields)
    return FlyerCard(**values)  # type: ignore[arg-type]


def check_flyer(spec: FlyerCard, paper: str) -> RenderReport:
    image, report = render_flyer_with_report(spec, paper)
    bare, _ = render_flyer_with_report(spec, paper, draw_text=False)
    assert image.mode == "RGB" and image.size == PAPERS[paper].size
    check_geometry(report)
    check_pixels(image, bare, report)
    floors = FLYER_LAYOUT.type
    for run in report.runs:
        floor = {"heading": floors.heading.min, "body": floors.body.min}.get(
            run.role, floors.caption.min
        )
        assert run.font_size >= floor, run
    return report


@pytest.mark.parametrize("paper", sorted(PAPERS))
def test_flyer_is_the_paper_at_300_dpi_with_everything_on_it(paper: str) -> None:
    spec = flyer()
    report = check_flyer(spec, paper)
    drawn = report.drawn_text()
    assert drawn["title"] == spec.title
    assert drawn["disclaimer"] == spec.disclaimer
    assert drawn["when_text"] == spec.when_text
    assert drawn["place_text"] == spec.place_text
    assert drawn["address"] == "campaign.example.org/events/understanding-ketamine-leeds"
    assert {"campaign_name", "hashtag", "qr_caption", "summary", "place_detail"} <= set(drawn)
    assert report.qr_module is not None and report.qr_module >= FLYER_LAYOUT.qr_module_min


def test_unknown_paper_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown paper 'legal'"):
        render_flyer(flyer(), "legal")


def test_the_longest_disclaimer_the_settings_allow_is_drawn_whole() -> None:
    for paper in PAPERS:
        report = check_flyer(flyer(disclaimer=LONGEST_DISCLAIMER), paper)
        assert report.drawn_text()["disclaimer"] == LONGEST_DISCLAIMER.strip()


def test_a_disclaimer_past_any_setting_is_refused_not_cut() -> None:
    with pytest.raises(TextDoesNotFit) as refused:
        render_flyer(flyer(disclaimer="W" * 2000), "a4")
    assert refused.value.field == "disclaimer"


@settings(max_examples=6, deadline=None)
@given(
    title=st.text(st.sampled_from("Wwm iIl-ÉKetamine"), min_size=1, max_size=120),
    summary=st.text(st.sampled_from("Mmw talk "), max_size=280),
    place=st.text(st.sampled_from("Wm Hall,"), max_size=300),
)
def test_event_text_never_overflows_the_flyer(title: str, summary: str, place: str) -> None:
    spec = flyer(title=title.strip() or "T", summary=summary, place_detail=place)
    check_flyer(spec, "letter")


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbarimg is not installed")
@pytest.mark.parametrize("paper", sorted(PAPERS))
def test_pdf_is_one_page_of_the_paper_under_2_mb_and_its_qr_code_reads(paper: str) -> None:
    data = encode_pdf(render_flyer(flyer(), paper), title="Understanding Ketamine")
    assert data.startswith(b"%PDF-") and len(data) <= MAX_PDF_BYTES
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert (round(width, 1), round(height, 1)) == tuple(round(v, 1) for v in PAPER_POINTS[paper])
    assert reader.metadata is not None and reader.metadata.title == "Understanding Ketamine"
    picture = page.images[0].image
    assert picture is not None and picture.size == PAPERS[paper].size
    png = io.BytesIO()
    picture.save(png, "PNG")
    result = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-"],
        input=png.getvalue(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.decode().split() == [URL]
