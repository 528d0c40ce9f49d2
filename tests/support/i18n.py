"""Helpers for the language tests: the messages the sources mark, the catalogs on disk,
a pseudo-locale, a right-to-left test locale, and the check that a page shows no text left
out of the catalog.

The untranslated-string check (untranslated_text) renders a page in PSEUDO_LOCALE, whose
catalog wraps every message in ⟦ ⟧: any visible text outside those brackets that is not
data the test put there (a campaign's name, an event's title) was never marked for
translation. Each feature's test lists its public pages and their data; see
tests/i18n/test_untranslated.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from campaign.config import REPO_ROOT

CATALOGS = REPO_ROOT / "translations"
POT = CATALOGS / "messages.pot"
PSEUDO_LOCALE = "eo"  # a locale Babel knows (dates, numbers) that the site never ships
OPEN, CLOSE = "⟦", "⟧"
# The right-to-left test locale: Arabic as Babel knows it (so dates, numbers and
# campaign.i18n's text_direction are the real ones), with a catalog written by the tests
# (write_rtl_pseudo_catalog) in a temporary folder. No Arabic catalog ships.
RTL_PSEUDO_LOCALE = "ar"
RLO, PDF = "\u202e", "\u202c"  # right-to-left override ... pop directional formatting


def shipped_locales() -> list[str]:
    """The locales with a catalog under translations/."""
    return sorted(p.parent.parent.name for p in CATALOGS.glob("*/LC_MESSAGES/messages.po"))


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def _keywords() -> dict[str, object]:
    """Babel's default keywords plus those the Makefile's extract command adds."""
    from babel.messages.extract import DEFAULT_KEYWORDS

    makefile = (REPO_ROOT / "Makefile").read_text()
    extra = re.findall(r"-k (\w+)", makefile)
    assert extra, "the Makefile's i18n-extract names its keywords with -k"
    return {**DEFAULT_KEYWORDS, **dict.fromkeys(extra)}


@cache
def source_messages() -> frozenset[str | tuple[str, str]]:
    """Every message id the sources mark now, extracted as `make i18n-extract` does
    (babel.cfg, the Makefile's keywords); a plural is (singular, plural)."""
    with (REPO_ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: set[str | tuple[str, str]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(REPO_ROOT), method_map, options_map, keywords=_keywords()
    ):
        if isinstance(message, tuple):
            found.add((message[0], message[1]))
        elif message:
            found.add(message)
    return frozenset(found)


def catalog_ids(catalog: Catalog) -> set[str | tuple[str, str]]:
    return {(m.id[0], m.id[1]) if isinstance(m.id, tuple) else m.id for m in catalog if m.id}


# The organizers' side (issue 16, point 7): its text is marked for translation, but its
# Spanish may wait for a later catalog (organizer pages render in English meanwhile:
# campaign.i18n.negotiation.ORGANIZER_LOCALE). A catalog entry whose every source location
# is listed here may stay untranslated; an entry used anywhere else as well (the same msgid
# on a public page, in a mail or on a card) must be translated. A path ending in "/" is a
# folder. Python modules are listed whole, so only modules that serve organizers alone:
# a module mixing public and organizer views or a form that a
# public page uses too (campaign/attendees/forms.py, campaign/mail/forms.py: a host's
# pages) is not listed, and its strings are translated.
ORGANIZER_SOURCES = (
    "templates/manage/",
    "templates/organizers/",
    "campaign/attendees/views.py",
    "campaign/campaigns/forms.py",
    "campaign/dashboard/chart.py",
    "campaign/dashboard/views.py",
    "campaign/graphics/forms.py",
    "campaign/graphics/views/manage_content.py",
    "campaign/graphics/views/manage_pages.py",
    "campaign/graphics/views/manage_sources.py",
    "campaign/graphics/views/manage_theme.py",
    "campaign/hosting/views/manage.py",
    "campaign/mail/views.py",
    "campaign/organizers/forms.py",
    "campaign/organizers/views.py",
    "campaign/reminders/forms.py",
    "campaign/reminders/views.py",
)
# Under an organizer folder, but public pages use them too (the host's pages import them),
# so their text is public text.
SHARED_WITH_PUBLIC = (
    "templates/manage/attendees/_parts.html",
    "templates/manage/events/_fields.html",
)


def is_organizer_source(path: str) -> bool:
    """Whether a source file (as the catalog's `#:` comments name it) is organizers' only."""
    path = path.replace("\\", "/")
    if path in SHARED_WITH_PUBLIC:
        return False
    return any(
        path.startswith(source) if source.endswith("/") else path == source
        for source in ORGANIZER_SOURCES
    )


def is_organizer_only(locations: Iterable[tuple[str, int | None]]) -> bool:
    """Whether a catalog entry is used by organizer sources alone (and by at least one)."""
    paths = [path for path, _line in locations]
    return bool(paths) and all(is_organizer_source(path) for path in paths)


def write_pseudo_catalog(directory: Path) -> Path:
    """A compiled catalog for PSEUDO_LOCALE under directory that wraps every message the
    sources mark in ⟦ ⟧ (placeholders kept); returns directory, for
    BABEL_TRANSLATION_DIRECTORIES."""
    return _write_catalog(directory, PSEUDO_LOCALE, lambda text: f"{OPEN}{text}{CLOSE}")


def write_rtl_pseudo_catalog(directory: Path) -> Path:
    """A compiled catalog for RTL_PSEUDO_LOCALE under directory: every message forced to
    read right to left (RLO ... PDF), so a page in it looks and lays out as a right-to-left
    language would; returns directory, for BABEL_TRANSLATION_DIRECTORIES."""
    return _write_catalog(directory, RTL_PSEUDO_LOCALE, lambda text: f"{RLO}{text}{PDF}")


def _write_catalog(directory: Path, locale: str, wrap: Callable[[str], str]) -> Path:
    catalog = Catalog(locale=locale)
    for message in source_messages():
        if isinstance(message, tuple):
            catalog.add(message, tuple(wrap(form) for form in message))
        else:
            catalog.add(message, wrap(message))
    target = directory / locale / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    with (target / "messages.mo").open("wb") as handle:
        write_mo(handle, catalog)
    return directory


# Attributes whose values people read (or hear from a screen reader).
READ_ATTRIBUTES = frozenset({"alt", "title", "aria-label", "placeholder", "aria-description"})
SKIPPED_ELEMENTS = frozenset({"script", "style", "code", "template"})


class _VisibleText(HTMLParser):
    """The text a person reads on a page, except inside an element marked with another
    language or translate="no" (the switcher's "English", "Español" stay in their own)."""

    def __init__(self, page_lang: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_lang = page_lang
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)
        self.texts: list[str] = []

    def _skipping(self) -> bool:
        return any(skipped for _, skipped in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        other_lang = "lang" in values and tag != "html" and values["lang"] != self.page_lang
        # translate="no": meant to stay as it is (a language's own name in the switcher).
        skipped = tag in SKIPPED_ELEMENTS or other_lang or values.get("translate") == "no"
        if not (skipped or self._skipping()):
            self.texts.extend(v for k, v in attrs if k in READ_ATTRIBUTES and v)
            if tag == "meta" and values.get("name") == "description" and values.get("content"):
                self.texts.append(values["content"] or "")
        if tag not in {"meta", "link", "br", "img", "input", "hr", "source", "wbr"}:
            self.stack.append((tag, skipped))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._skipping():
            self.texts.append(data)


def untranslated_text(page: str, data: Iterable[str] = ()) -> list[str]:
    """Pieces of visible text on a page rendered in PSEUDO_LOCALE that no catalog message
    produced: what is left once every ⟦message⟧ and every piece of `data` (the test's own
    rows: names, titles, places) is removed and only letters are looked at. Empty when
    every word a visitor reads comes from the catalog or from data."""
    lang = re.search(r'<html lang="([^"]+)"', page)
    parser = _VisibleText(lang.group(1) if lang else "")
    parser.feed(page)
    # One text a line, so that a message holding markup (split over several text nodes)
    # is still one ⟦...⟧ span.
    # A message may hold another (a link's text inside a sentence): innermost first.
    rest, innermost = "\n".join(parser.texts), re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
    while True:
        rest, found = innermost.subn(" ", rest)
        if not found:
            break
    for value in sorted((d for d in data if d), key=len, reverse=True):
        rest = rest.replace(value, " ")
    return [
        " ".join(line.split()) for line in rest.splitlines() if re.search(r"[^\W\d_]{2,}", line)
    ]


# What a card's alt text holds besides catalog messages and the test's data: the card's
# date as the cards write it (weekday, day, month, year, time, zone, in the locale), its
# countdown date, the address it points to, and the ". " between parts. The words of
# every card label are messages (checked in tests/graphics_web/test_card_languages.py).
CARD_ALT_GLUE = re.compile(
    r"[\d\s.,:;]*"
    r"(\w{2,3}\.? \d{1,2} \w{3}\.? \d{4}, \d{2}:\d{2} [A-Z]{3,4})?"
    r"[\s.,:;]*"
    r"([\w.-]*/(events|facts)/[\w-]+|\d+ \. [^.]+ \d{4}\. [\w.-]+)?"
    r"[\s.]*"
)


def without_card_glue(found: list[str]) -> list[str]:
    """untranslated_text's findings less the pieces of card alt text that are not words."""
    return [text for text in found if not CARD_ALT_GLUE.fullmatch(text)]
