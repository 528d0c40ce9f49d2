"""Wrapping by measured width: words as tokens, too-long words broken between clusters."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

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
    for word in text.split():
        if fits_width(word, weight, size, base, width, exact):
            tokens.append(Token(word))
            continue
        piece = ""
        first = True
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
    return tokens


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
