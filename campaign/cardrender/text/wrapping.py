"""Wrapping by measured width: words as tokens, too-long words broken between clusters."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from .bidi import Direction, paragraph_direction
from .fonts import normalize_text
from .measure import Run, fits_width, measure_line


@dataclass(frozen=True)
class Token:
    """A word, or a piece of a word too long for a line (glued: no space before it)."""

    text: str
    glued: bool = False


def _break_after_allowed(prev: str, ch: str) -> bool:
    """May a too-long word be broken between prev and ch (keeps marks and conjuncts whole)?"""
    if unicodedata.category(ch).startswith("M"):
        return False
    if ch in "\u200c\u200d" or prev in "\u200c\u200d":
        return False
    return not unicodedata.name(prev, "").endswith("SIGN VIRAMA")


def clusters_of(word: str) -> list[str]:
    clusters: list[str] = []
    for ch in word:
        if clusters and not _break_after_allowed(clusters[-1][-1], ch):
            clusters[-1] += ch
        else:
            clusters.append(ch)
    return clusters


# Characters a line may not start with (closing marks, small kana, iteration marks) or end
# with (opening marks), after the Japanese and Chinese line-breaking rules (kinsoku).
_NO_LINE_START = frozenset(
    "、。，．・：；？！）」』】〕〉》〙〗｝］’”ー々〻ゝゞヽヾぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ%…"
)
_NO_LINE_END = frozenset("（「『【〔〈《〘〖｛［‘“")


def _ideographic(ch: str) -> bool:
    """Han, kana, CJK punctuation, full-width forms and emoji: a line may break around them."""
    code = ord(ch)
    return (
        0x2E80 <= code <= 0x9FFF  # CJK radicals, punctuation, kana, Han
        or 0xF900 <= code <= 0xFAFF  # compatibility ideographs
        or 0xFE30 <= code <= 0xFE4F  # compatibility forms
        or 0xFF00 <= code <= 0xFFEF  # full-width forms
        or 0x1F000 <= code <= 0x1FAFF  # emoji and pictographs
        or 0x20000 <= code <= 0x3FFFF  # Han extensions
    )


def _joined(prev: str, ch: str) -> bool:
    """Whether prev and ch must stay together (marks, joiners, modifiers, variation)."""
    code = ord(ch)
    return (
        unicodedata.category(ch).startswith("M")
        or ch in "\u200c\u200d\ufe0f\u20e3"
        or prev in "\u200c\u200d"
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # tags (subdivision flags)
        or (0x1F1E6 <= code <= 0x1F1FF and 0x1F1E6 <= ord(prev) <= 0x1F1FF)
    )


@lru_cache(maxsize=8192)
def break_ideographs(word: str) -> tuple[str, ...]:
    """A word cut where ideographic text may break between characters (no spaces needed).

    Breaks fall between two characters when either is ideographic, except before closing
    marks and small kana, after opening marks, and inside emoji sequences. Regional
    indicators pair up (a flag is two of them).
    """
    if word.isascii() and "/" not in word and "-" not in word:
        return (word,)
    pieces: list[str] = []
    for ch in word:
        if not pieces:
            pieces.append(ch)
            continue
        prev = pieces[-1][-1]
        flag_pair = 0x1F1E6 <= ord(ch) <= 0x1F1FF and len(pieces[-1]) == 1
        after_slash = prev in "/-" and ch.isalnum()  # after slashes and hyphens
        breakable = after_slash or (
            (_ideographic(prev) or _ideographic(ch))
            and ch not in _NO_LINE_START
            and prev not in _NO_LINE_END
            and not _joined(prev, ch)
            and not (flag_pair and 0x1F1E6 <= ord(prev) <= 0x1F1FF)
        )
        if breakable:
            pieces.append(ch)
        else:
            pieces[-1] += ch
    return tuple(pieces)


def join_tokens(tokens: list[Token]) -> str:
    out = ""
    for tok in tokens:
        out += tok.text if (not out or tok.glued) else " " + tok.text
    return out


def tokenize(
    text: str, weight: str, size: int, width: int, base: Direction, exact: bool = True
) -> list[Token]:
    """Words of `text`, with words wider than `width` broken into glued pieces."""
    tokens: list[Token] = []
    for spaced in text.split():
        for n, word in enumerate(break_ideographs(spaced)):
            _add_word(tokens, word, n > 0, weight, size, width, base, exact)
    return tokens


def _add_word(
    tokens: list[Token],
    word: str,
    glued: bool,
    weight: str,
    size: int,
    width: int,
    base: Direction,
    exact: bool,
) -> None:
    """Append `word` as a token, or as glued pieces when it is wider than `width`."""
    if fits_width(word, weight, size, base, width, exact):
        tokens.append(Token(word, glued))
        return
    piece = ""
    first = not glued
    for cluster in clusters_of(word):
        candidate = piece + cluster
        if piece and measure_line(candidate, weight, size, base).width > width:
            tokens.append(Token(piece, glued=not first))
            first = False
            piece = cluster
        else:
            piece = candidate
    if piece:
        tokens.append(Token(piece, glued=not first))


def wrap_tokens(
    tokens: list[Token], weight: str, size: int, width: int, base: Direction, exact: bool = True
) -> list[str]:
    """Greedy line filling by measured width, in logical order."""
    lines: list[str] = []
    current = ""
    run: Run | None = None  # the estimate of `current`, grown word by word
    for tok in tokens:
        if not current:
            current = tok.text
            run = Run.start(tok.text, weight, base)
            continue
        if tok.glued:
            candidate, extended = current + tok.text, None
        else:
            candidate = current + " " + tok.text
            extended = run.add(tok.text) if run is not None else None
        if fits_width(candidate, weight, size, base, width, exact, extended):
            current = candidate
            run = extended
        else:
            lines.append(current)
            current = tok.text
            run = Run.start(tok.text, weight, base)
    if current:
        lines.append(current)
    return lines


def wrap(text: str, weight: str, size: int, width: int) -> list[str]:
    """Lines of `text` that each fit `width` px at `size` (breaking over-long words)."""
    text = normalize_text(text)
    base = paragraph_direction(text)
    return wrap_tokens(tokenize(text, weight, size, width, base), weight, size, width, base)
