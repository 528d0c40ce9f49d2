"""Choosing a visitor's locale, without Flask: ?lang=, then the `lang` cookie, then the
browser's Accept-Language (best match among the supported locales), then the default.

Used by the locale selector (campaign.i18n.web) and by the page cache in front of Flask
(campaign.core.pagecache), so both name the same stored copy of a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from http.cookies import CookieError, SimpleCookie

from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

# The query argument and the cookie that carry a chosen language.
LANG_PARAM = "lang"
LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600  # a year

# The organizers' side (every page under /manage, their sign-in and invitations included)
# stays in English until its catalog is complete (issue 16, point 7): its text is marked for
# translation, but a Spanish browser, ?lang= or the `lang` cookie do not change it.
ORGANIZER_PATH_PREFIX = "/manage"
ORGANIZER_LOCALE = "en"

# Locales written right to left: pages get dir="rtl" and mirrored layout.
RTL_LOCALES = frozenset({"ar", "he", "fa", "ur"})

# Each language named in its own language, as the switcher shows it.
NATIVE_NAMES = {
    "en": "English",
    "es": "Español",
    "ar": "العربية",
    "he": "עברית",
    "fa": "فارسی",
    "ur": "اردو",
}


@dataclass(frozen=True)
class Choice:
    """The locale chosen for a request, and whether ?lang= asked for it (then the `lang`
    cookie is set to it, unless the cookie already says so)."""

    locale: str
    from_query: bool = False
    cookie: str | None = None  # the cookie's value as sent, when it names a supported locale

    @property
    def sets_cookie(self) -> bool:
        return self.from_query and self.cookie != self.locale


def text_direction(locale: str) -> str:
    """ "rtl" for a right-to-left locale ("ar", "he_IL"), "ltr" otherwise."""
    return "rtl" if primary_tag(locale) in RTL_LOCALES else "ltr"


def primary_tag(locale: str) -> str:
    """The language of a locale code: "es" for "es", "es_MX" or "es-MX"."""
    return locale.replace("-", "_").split("_", 1)[0].lower()


def native_name(locale: str) -> str:
    """The language's name in itself ("Español"), the code when it is not known."""
    return NATIVE_NAMES.get(locale, NATIVE_NAMES.get(primary_tag(locale), locale))


def is_organizer_path(path: str) -> bool:
    """Whether a request path (without the script root) is on the organizers' side."""
    return path == ORGANIZER_PATH_PREFIX or path.startswith(ORGANIZER_PATH_PREFIX + "/")


def _supported(value: str | None, supported: tuple[str, ...]) -> str | None:
    """value when it names a supported locale exactly (case-insensitive), else None."""
    if not value:
        return None
    wanted = value.strip().replace("-", "_").lower()
    for locale in supported:
        if locale.lower() == wanted:
            return locale
    return None


@lru_cache(maxsize=256)
def accept_language_match(header: str, supported: tuple[str, ...]) -> str | None:
    """The supported locale a browser's Accept-Language prefers ("es-MX,es;q=0.9" -> "es"),
    or None. Cached: browsers send a handful of distinct headers."""
    accept = parse_accept_header(header, LanguageAccept)
    return _supported(
        accept.best_match([locale.replace("_", "-") for locale in supported]), supported
    )


def cookie_locale(cookie_header: str | None, supported: tuple[str, ...]) -> str | None:
    """The supported locale the `lang` cookie names in a Cookie header, or None."""
    if not cookie_header or f"{LANG_COOKIE}=" not in cookie_header:
        return None
    cookies: SimpleCookie = SimpleCookie()
    try:
        cookies.load(cookie_header)
    except CookieError:  # a malformed Cookie header: as if there were no cookie
        return None
    morsel = cookies.get(LANG_COOKIE)
    return _supported(morsel.value if morsel else None, supported)


def choose(
    query_lang: str | None,
    cookie: str | None,
    accept_language: str | None,
    supported: tuple[str, ...],
    default: str,
) -> Choice:
    """The locale for a request: a supported ?lang= (an unknown one is ignored), then the
    cookie (already checked by cookie_locale), then Accept-Language, then default."""
    asked = _supported(query_lang, supported)
    if asked is not None:
        return Choice(asked, from_query=True, cookie=cookie)
    if cookie is not None:
        return Choice(cookie, cookie=cookie)
    if accept_language:
        matched = accept_language_match(accept_language[:500], supported)
        if matched is not None:
            return Choice(matched)
    return Choice(default)


def set_cookie_header(locale: str, secure: bool) -> str:
    """The Set-Cookie value remembering a chosen locale: a year, whole site, SameSite=Lax."""
    parts = [
        f"{LANG_COOKIE}={locale}",
        "Path=/",
        f"Max-Age={LANG_COOKIE_MAX_AGE}",
        "HttpOnly",
        "SameSite=Lax",
    ]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)
