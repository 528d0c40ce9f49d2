"""Text helpers: safe Markdown for descriptions, single-line cleaning for names."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.disable(["image", "html_block", "html_inline"])


def _link_open(renderer, tokens, idx, options, env):  # type: ignore[no-untyped-def]
    token = tokens[idx]
    href = str(token.attrGet("href") or "")
    is_local = href.startswith("/") and not href.startswith("//")
    if not is_local and urlsplit(href).scheme not in ("http", "https", "mailto"):
        token.attrSet("href", "#")
    token.attrSet("rel", "nofollow noopener noreferrer")
    return renderer.renderToken(tokens, idx, options, env)


_md.add_render_rule("link_open", _link_open)


def render_markdown(source: str) -> Markup:
    """A safe subset of Markdown: raw HTML and images are escaped, links only http(s)/mailto."""
    html = _md.render(source or "")
    # markdown-it runs with html off (input HTML is escaped) and links are filtered above.
    return Markup(html)  # noqa: S704  # nosec B704  # escaped by markdown-it


def has_control_characters(value: str, allow_newlines: bool = False) -> bool:
    """True when value holds control or format characters (NUL, bidi overrides, ...)."""
    for ch in value:
        if allow_newlines and ch in "\n\r\t":
            continue
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            return True
    return False


def clean_line(value: str | None) -> str:
    """Trim and NFC-normalise a single-line value."""
    return unicodedata.normalize("NFC", (value or "").strip())
