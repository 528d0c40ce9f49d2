"""The catalogs are complete and current: every message the sources mark is in the .pot
and in every language's catalog, translated, not fuzzy, with its placeholders, and the
compiled .mo the app reads says what the .po says (`make i18n-update`, `make i18n-compile`)."""

from __future__ import annotations

import re

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo

from campaign.config import REPO_ROOT
from campaign.i18n.negotiation import is_organizer_path
from tests.support.i18n import (
    CATALOGS,
    ORGANIZER_SOURCES,
    POT,
    catalog_ids,
    is_organizer_only,
    is_organizer_source,
    read_catalog,
    shipped_locales,
    source_messages,
)

LOCALES = shipped_locales()


def _show(ids: set) -> list[str]:
    return sorted(i if isinstance(i, str) else i[0] for i in ids)


def test_spanish_is_shipped() -> None:
    assert "es" in LOCALES


def test_the_template_holds_every_marked_message() -> None:
    marked, listed = set(source_messages()), catalog_ids(read_catalog(POT))
    assert not marked - listed, (
        f"marked in the code but missing from {POT.name} (run make i18n-update): "
        f"{_show(marked - listed)}"
    )
    assert not listed - marked, (
        f"no longer in the code (run make i18n-update): {_show(listed - marked)}"
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated_and_none_is_fuzzy(locale: str) -> None:
    catalog = read_catalog(CATALOGS / locale / "LC_MESSAGES" / "messages.po", locale)
    missing = set(source_messages()) - catalog_ids(catalog)
    assert not missing, f"{locale}: not in the catalog (run make i18n-update): {_show(missing)}"
    problems = [_problem(message) for message in catalog if message.id]
    assert not [p for p in problems if p], [p for p in problems if p]


def organizer_untranslated(catalog: Catalog) -> list[str]:
    """The entries left untranslated because only organizer pages use them (allowed)."""
    return [
        key
        for message in catalog
        if message.id and (key := _key(message)) and _untranslated(message)
        if is_organizer_only(message.locations) and not message.fuzzy
    ]


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\((\w+)\)s", text))


def _key(message) -> str:  # type: ignore[no-untyped-def]
    return message.id if isinstance(message.id, str) else message.id[0]


def _untranslated(message) -> bool:  # type: ignore[no-untyped-def]
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return not all(strings)


def _problem(message) -> str | None:  # type: ignore[no-untyped-def]
    """What is wrong with a catalog entry, or None. An untranslated entry is wrong unless
    only organizer sources use it (tests.support.i18n.ORGANIZER_SOURCES); fuzzy is always
    wrong."""
    key = _key(message)
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    if message.fuzzy:
        return f"fuzzy: {key!r}"
    if _untranslated(message):
        return None if is_organizer_only(message.locations) else f"untranslated: {key!r}"
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    wanted = set().union(*(_placeholders(i) for i in ids))
    for string in strings:
        if not _placeholders(string) <= wanted or (
            not isinstance(message.id, tuple) and _placeholders(string) != wanted
        ):
            return f"placeholders differ: {key!r} -> {string!r}"
    return None


@pytest.mark.parametrize("locale", LOCALES)
def test_the_compiled_catalog_matches_its_source(locale: str) -> None:
    folder = CATALOGS / locale / "LC_MESSAGES"
    mo = folder / "messages.mo"
    assert mo.exists(), f"{mo} is missing: run make i18n-compile"
    with mo.open("rb") as handle:
        compiled = read_mo(handle)
    assert _pairs(compiled) == _pairs(read_catalog(folder / "messages.po", locale)), (
        f"{mo} is stale: run make i18n-compile"
    )


def _pairs(catalog: Catalog) -> dict:
    """Each translated entry's id and strings. An untranslated one (allowed for organizer
    text) is left out: the .po has it empty, and the .mo either leaves it out or, for a
    plural, carries the English forms, which is what gettext would show anyway."""

    def plain(value):  # type: ignore[no-untyped-def]
        return value if isinstance(value, str) else tuple(value)

    def english(m) -> bool:  # type: ignore[no-untyped-def]
        if not isinstance(m.id, tuple | list):
            return False
        forms = tuple(m.string)
        return forms == tuple(m.id[min(i, 1)] for i in range(len(forms)))

    return {
        plain(m.id): plain(m.string)
        for m in catalog
        if m.id and not m.fuzzy and any(plain(m.string) if m.pluralizable else (m.string,))
        if not english(m)
    }


def test_the_checks_catch_each_mistake() -> None:
    """The problems above are recognised (so the checks can fail)."""
    catalog = Catalog(locale="es")
    catalog.add("Hello", "")
    catalog.add("Home", "Inicio", flags=("fuzzy",))
    catalog.add("Wait %(wait)s", "Espera")
    catalog.add(("%(n)s day", "%(n)s days"), ("%(n)s día", ""))
    catalog.add("Events", "Eventos")
    found = [_problem(m) for m in catalog if m.id]
    assert found == [
        "untranslated: 'Hello'",
        "fuzzy: 'Home'",
        "placeholders differ: 'Wait %(wait)s' -> 'Espera'",
        "untranslated: '%(n)s day'",
        None,
    ]


def test_only_organizer_text_may_wait_for_its_translation() -> None:
    """An untranslated entry passes only when organizer sources alone use it: one also on
    a public page, in a mail, or in a template public pages share, still fails."""
    catalog = Catalog(locale="es")
    manage, public = ("templates/manage/dashboard.html", None), ("templates/base.html", None)
    catalog.add("Drafts", "", locations=[manage])
    catalog.add("Saved.", "", locations=[("campaign/reminders/views.py", None)])
    catalog.add("All events", "", locations=[public])
    catalog.add("Events", "", locations=[manage, public])
    catalog.add("Checked in", "", locations=[("templates/manage/attendees/_parts.html", None)])
    catalog.add("Flash", "", locations=[("campaign/events/views.py", None)])
    catalog.add("Outbox", "Bandeja", locations=[manage], flags=("fuzzy",))
    catalog.add("Nowhere", "")
    catalog.add(("%(n)s day", "%(n)s days"), ("", ""), locations=[manage])
    found = {_key(m): _problem(m) for m in catalog if m.id}
    assert found == {
        "Drafts": None,
        "Saved.": None,
        "All events": "untranslated: 'All events'",
        "Events": "untranslated: 'Events'",
        "Checked in": "untranslated: 'Checked in'",
        "Flash": "untranslated: 'Flash'",
        "Outbox": "fuzzy: 'Outbox'",
        "Nowhere": "untranslated: 'Nowhere'",
        "%(n)s day": None,
    }
    assert organizer_untranslated(catalog) == ["Drafts", "Saved.", "%(n)s day"]


def test_public_templates_use_no_organizer_only_template() -> None:
    """A template that a public one extends, includes or imports is public text: it must
    not count as organizers' only (else SHARED_WITH_PUBLIC is missing it)."""
    pulled = re.compile(r"{%-?\s*(?:extends|include|import|from)\s+[\"']([^\"']+)[\"']")
    wrong = []
    for path in sorted((REPO_ROOT / "templates").rglob("*.*")):
        name = path.relative_to(REPO_ROOT).as_posix()
        if is_organizer_source(name):
            continue
        for used in pulled.findall(path.read_text()):
            if is_organizer_source(f"templates/{used}"):
                wrong.append(f"{name} uses templates/{used}")
    assert not wrong, wrong


def test_organizer_python_modules_serve_only_organizer_pages(app) -> None:
    """Every route a listed views module defines is under /manage (so always English)."""
    listed = {
        source.removesuffix(".py").replace("/", ".")
        for source in ORGANIZER_SOURCES
        if source.endswith(".py")
    }
    views = {}
    for rule in app.url_map.iter_rules():
        module = app.view_functions[rule.endpoint].__module__
        views.setdefault(module, []).append(rule.rule)
    checked = listed & set(views)
    assert {"campaign.organizers.views", "campaign.hosting.views.manage"} <= checked
    for module in checked:
        assert all(is_organizer_path(rule) for rule in views[module]), (module, views[module])
