"""Flask-Babel wired to the campaign: the locale selector, the `lang` cookie, the values
every template gets, and in_locale() for work done in a locale other than the request's.

Templates mark text with `_("...")` (or `ngettext`), and format dates and numbers with
Flask-Babel's filters (`|dateformat("full")`, `|numberformat`) so they follow the locale.
Python code imports `gettext`/`lazy_gettext` from flask_babel. Mail, calendar files and
anything rendered for someone other than the current visitor (a scheduler job, a
registrant's saved language) is rendered inside `with in_locale(code):`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import (
    Flask,
    Response,
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
)
from flask_babel import force_locale, get_translations

from campaign.extensions import babel
from campaign.i18n import negotiation
from campaign.i18n.negotiation import LANG_PARAM, Choice, native_name, text_direction

# Where the catalogs live: translations/<locale>/LC_MESSAGES/messages.po (and .mo).
TRANSLATIONS_DIR = "translations"

# The query arguments a language link keeps: those that choose what a page shows and that
# the page cache keys the page by (the listing's filters and page, the event page's share
# code). Any other argument is dropped from the links, so a stored page never carries one
# visitor's stray arguments to another.
KEPT_ARGS = ("q", "city", "region", "online", "when", "from", "to", "page", "ref")
# Stored pages keep only those their key covers, the first value of each (the key reads
# the first): the listing its filters and page, the event page its share code, the page
# after registering none. Anything more sent by the visitor whose request filled the copy
# would be written into the links every later visitor of that copy gets.
KEPT_ARGS_BY_ENDPOINT: dict[str, tuple[str, ...]] = {
    "events.index": ("q", "city", "region", "online", "when", "from", "to", "page"),
    "events.detail": ("ref",),
    "signups.registered": (),
}


def supported_locales() -> tuple[str, ...]:
    """The configured locales (config LANGUAGES), the default first if it was left out."""
    configured = tuple(str(code) for code in current_app.config["LANGUAGES"])
    default = default_locale()
    return configured if default in configured else (default, *configured)


def default_locale() -> str:
    """The locale of a visitor who asks for none the site has (config DEFAULT_LOCALE)."""
    return str(current_app.config["DEFAULT_LOCALE"])


def locale_choice() -> Choice:
    """This request's choice (computed once per request), the default outside requests.
    An organizer page is always in ORGANIZER_LOCALE, whatever the visitor asks for (and
    sets no cookie), since the organizers' catalog is not complete yet."""
    if not has_request_context():
        return Choice(default_locale())
    choice: Choice | None = g.get("locale_choice")
    if choice is None and negotiation.is_organizer_path(request.path):
        choice = Choice(negotiation.ORGANIZER_LOCALE)
        g.locale_choice = choice
    if choice is None:
        supported = supported_locales()
        choice = negotiation.choose(
            request.args.get(LANG_PARAM),
            negotiation.cookie_locale(request.headers.get("Cookie"), supported),
            request.headers.get("Accept-Language"),
            supported,
            default_locale(),
        )
        g.locale_choice = choice
    return choice


def current_locale() -> str:
    """The locale text is being rendered in now: in_locale()'s when inside one, otherwise
    the request's choice (the default outside a request)."""
    forced = g.get("forced_locale") if has_app_context() else None
    return forced or locale_choice().locale


@contextmanager
def in_locale(locale: str | None) -> Iterator[str]:
    """Render in `locale` (a supported one; anything else means the default) for the
    block: gettext, the templates and Babel's date and number formats all follow it.

        with in_locale(registration.locale):
            subject = gettext("You're registered")
            body = render_template("mail/registration_confirmed.txt", ...)
    """
    code = locale if locale in supported_locales() else default_locale()
    previous = g.get("forced_locale")
    g.forced_locale = code
    try:
        with force_locale(code):
            yield code
    finally:
        g.forced_locale = previous


def translate_stored(text: str | None) -> str:
    """A stored text that may be one of the defaults the catalog carries (a campaign's
    disclaimer left as DEFAULT_DISCLAIMER): its translation when there is one, otherwise
    as stored. Plain text, never Markup and never %-formatted, unlike `_()` in templates."""
    if not text:
        return ""
    return str(get_translations().ugettext(text))


def _select_locale() -> str:
    """Flask-Babel's locale selector."""
    return locale_choice().locale


@dataclass(frozen=True)
class LanguageLink:
    """One language of the switcher and of the hreflang alternates."""

    code: str
    name: str  # in its own language: "Español"
    href: str  # this page in that language: a query relative to it ("?lang=es")
    absolute: str  # the same, absolute (for hreflang)
    current: bool


def _page_url(lang: str | None, external: bool, to_home: bool = False) -> str:
    kept = KEPT_ARGS_BY_ENDPOINT.get(request.endpoint or "", KEPT_ARGS)
    args = (
        [] if to_home else [(name, value) for name, value in request.args.items() if name in kept]
    )
    if lang is not None:
        args.append((LANG_PARAM, lang))
    if lang is not None and not (external or to_home):
        # Relative to the page itself: a page never writes its own path into its links,
        # so pages at private addresses (a registrant's link) carry no copy of them.
        return "?" + urlencode(args)
    path = request.script_root + ("/" if to_home else request.path)
    if external:
        path = current_app.config["BASE_URL"].rstrip("/") + path
    return path + ("?" + urlencode(args) if args else "")


def language_links(to_home: bool = False) -> list[LanguageLink]:
    """The current page in every supported language, the current one marked; with
    to_home, the home page instead (an error page links there, never to its own path)."""
    here = current_locale()
    return [
        LanguageLink(
            code,
            native_name(code),
            _page_url(code, False, to_home),
            _page_url(code, True, to_home),
            code == here,
        )
        for code in supported_locales()
    ]


def default_language_url() -> str:
    """The page without ?lang= (hreflang x-default: the visitor's own choice decides)."""
    return _page_url(None, True)


def _template_values() -> dict[str, object]:
    locale = current_locale()
    return {
        "current_locale": locale,
        "text_dir": text_direction(locale),
        "language_links": language_links if has_request_context() else list,
        "default_language_url": default_language_url,
        "translate_stored": translate_stored,
    }


def _remember_and_vary(response: Response) -> Response:
    """Set the `lang` cookie when ?lang= chose a new language; say that pages vary by it."""
    choice = g.get("locale_choice")
    if choice is not None and choice.sets_cookie:
        response.headers.add(
            "Set-Cookie",
            negotiation.set_cookie_header(
                choice.locale, bool(current_app.config.get("SESSION_COOKIE_SECURE"))
            ),
        )
    if response.mimetype == "text/html":
        response.vary.update(("Accept-Language", "Cookie"))
    return response


def init_app(app: Flask) -> None:
    """Bind Flask-Babel with the campaign's locales and catalogs."""
    from campaign.config import REPO_ROOT

    babel.init_app(
        app,
        default_locale=str(app.config["DEFAULT_LOCALE"]),
        default_translation_directories=str(REPO_ROOT / TRANSLATIONS_DIR),
        locale_selector=_select_locale,
    )
    app.context_processor(_template_values)
    app.after_request(_remember_and_vary)
