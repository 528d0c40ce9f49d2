"""Text helpers: safe Markdown for descriptions, single-line cleaning, line-break handling,
slugs."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.disable(["image", "html_block", "html_inline"])


def _link_open(
    renderer: RendererHTML,
    tokens: Sequence[Token],
    idx: int,
    options: OptionsDict,
    env: EnvType,
) -> str:
    """Links open with rel=nofollow, and only to this site, http(s) or mailto."""
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


# Every sequence that some reader takes as the end of a line: CRLF, CR, LF, VT, FF, the
# file/group/record separators, NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR (the same set
# as str.splitlines). A calendar, a mail header or a CSV cell must never carry one raw.
LINE_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_LINE_SEPARATORS = ("Zl", "Zp")


def normalise_line_breaks(value: str | None) -> str:
    """value with every kind of line break written as a single LF."""
    return LINE_BREAK.sub("\n", value or "")


def single_line(value: str | None, separator: str = " ") -> str:
    """value on one line: its non-blank lines, trimmed, joined with separator."""
    lines = (line.strip() for line in LINE_BREAK.split(value or ""))
    return separator.join(line for line in lines if line)


def has_control_characters(value: str, allow_newlines: bool = False) -> bool:
    """True when value holds control or format characters (NUL, bidi overrides, ...).

    Line and paragraph separators (U+2028, U+2029) count as control characters in a
    single-line value; with allow_newlines they are line breaks like CR and LF.
    """
    for ch in value:
        if allow_newlines and ch in "\n\r\t\u2028\u2029":
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cf", "Cs", "Co", "Cn") or category in _LINE_SEPARATORS:
            return True
    return False


def slugify(text: str, max_length: int, fallback: str) -> str:
    """A lower-case ASCII slug for URLs and file names: the letters and digits of text
    (accents dropped), words joined by hyphens, at most max_length characters; fallback
    when nothing ASCII is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or fallback


def clean_line(value: str | None) -> str:
    """Trim and NFC-normalise a single-line value."""
    return unicodedata.normalize("NFC", (value or "").strip())
