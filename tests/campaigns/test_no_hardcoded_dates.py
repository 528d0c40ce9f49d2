"""The campaign date is data: no year or date is written into the code or the templates."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SUFFIXES = {".py", ".html", ".txt", ".ics", ".xml", ".j2", ".jinja", ".js", ".json", ".cfg"}

YEARS = {"2026", str(date.today().year), str(date.today().year + 1)}
DATE_PATTERNS = [
    re.compile(r"\b20\d\d-[01]\d-[0-3]\d\b"),  # ISO dates
    re.compile(r"\b[0-3]?\d/[01]?\d/20\d\d\b"),  # 12/03/2027
    re.compile(r"\b(?:date|datetime)\(\s*(?:19|20)\d\d\s*,"),  # date(2027, 3, 1)
    re.compile(
        r"\b[0-3]?\d(?:st|nd|rd|th)? (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*"
        r",? 20\d\d\b"
    ),
    re.compile(
        r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* [0-3]?\d(?:st|nd|rd|th)?"
        r",? 20\d\d\b"
    ),
]


def _files() -> list[Path]:
    found = []
    for top in ("campaign", "templates"):
        for path in (REPO_ROOT / top).rglob("*"):
            if not path.is_file() or path.suffix not in SUFFIXES:
                continue
            if "migrations" in path.parts or "__pycache__" in path.parts:
                continue
            found.append(path)
    return found


def test_there_are_files_to_check():
    names = {p.name for p in _files()}
    assert "home.html" in names
    assert "demo.py" in names


def test_no_year_in_code_or_templates():
    offenders = []
    for path in _files():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for year in YEARS:
                if re.search(rf"(?<!\d){year}(?!\d)", line):
                    offenders.append(f"{path.relative_to(REPO_ROOT)}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_no_hard_coded_date_in_code_or_templates():
    offenders = []
    for path in _files():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if any(p.search(line) for p in DATE_PATTERNS):
                offenders.append(f"{path.relative_to(REPO_ROOT)}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
