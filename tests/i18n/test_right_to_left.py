"""Right to left: a page in a right-to-left locale says dir="rtl", and the stylesheets name
no physical side, so the browser mirrors the layout (tests/browser/test_right_to_left.py
looks at the result)."""

from __future__ import annotations

import re

import pytest

from campaign.config import REPO_ROOT
from tests.support.i18n import RLO

STYLESHEETS = sorted((REPO_ROOT / "assets" / "css").glob("*.css"))
# Properties and values tied to the left or right whatever the text direction.
PHYSICAL_SIDE = re.compile(
    r"(?<![\w-])(?:(?:margin|padding|border)-(?:left|right)[\w-]*\s*:"
    r"|(?:left|right)\s*:"
    r"|(?:text-align|float|clear)\s*:\s*(?:left|right)\b"
    r"|border-(?:top|bottom)-(?:left|right)-radius\s*:)"
)


def test_a_right_to_left_locale_marks_the_page_rtl(rtl_locale, client, campaign) -> None:
    page = client.get(f"/events?lang={rtl_locale}").get_data(as_text=True)
    assert f'<html lang="{rtl_locale}" dir="rtl">' in page
    assert RLO in page  # the test catalog's text, not English
    english = client.get("/events?lang=en").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in english and RLO not in english


@pytest.mark.parametrize("path", STYLESHEETS, ids=lambda p: p.name)
def test_stylesheets_use_logical_sides(path) -> None:
    css = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
    found = [m.group(0) for m in PHYSICAL_SIDE.finditer(css)]
    assert found == [], f"{path.name}: use inline-start/end instead of {found}"


def test_the_side_check_finds_physical_sides() -> None:
    samples = [
        ".a { margin-left: 1rem; }",
        ".a { padding-right:0 }",
        ".a { border-left-color: red; }",
        ".a { left: 0; }",
        ".a { text-align: right; }",
        ".a { float: left; }",
        ".a { border-top-left-radius: 4px; }",
    ]
    assert all(PHYSICAL_SIDE.search(css) for css in samples)
    logical = ".a { margin-inline-start: 1rem; inset-inline-start: 0; text-align: start; }"
    assert not PHYSICAL_SIDE.search(logical + ".b { scroll-margin-top: 1rem; top: 0; }")
