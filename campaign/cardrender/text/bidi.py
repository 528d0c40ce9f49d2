"""Bidi: the Unicode Bidirectional Algorithm (UAX #9) for one line.

`embedding_levels` resolves every character's level as UAX #9 does for a single paragraph
(explicit embeddings, overrides and isolates here; the weak, bracket-pair, neutral and
implicit rules of each isolating run sequence in `bidi_rules`; trailing whitespace),
checked against an independent implementation in tests/graphics/test_bidi.py. `reorder`
puts positions left to right (rule L2); `fontruns` cuts a line into runs to draw.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from .bidi_rules import ISOLATE_INITIATORS, resolve_sequence

Direction = Literal["ltr", "rtl"]

MAX_DEPTH = 125
_REMOVED = frozenset({"RLE", "LRE", "RLO", "LRO", "PDF", "BN"})  # rule X9


def bidi_class(ch: str) -> str:
    """The character's Bidi_Class (unassigned code points count as L)."""
    return unicodedata.bidirectional(ch) or "L"


def _strong_direction(classes: list[str], start: int, end: int) -> int | None:
    """Rules P2/P3 over classes[start:end]: 0 (L), 1 (R/AL) or None; isolates skipped."""
    depth = 0
    for k in range(start, end):
        kind = classes[k]
        if kind in ISOLATE_INITIATORS:
            depth += 1
        elif kind == "PDI":
            if depth:
                depth -= 1
        elif depth == 0 and kind == "L":
            return 0
        elif depth == 0 and kind in ("R", "AL"):
            return 1
    return None


def paragraph_direction(text: str) -> Direction:
    """Direction of the first strong character outside isolates (rules P2/P3), ltr if none."""
    classes = [bidi_class(ch) for ch in text]
    return "rtl" if _strong_direction(classes, 0, len(classes)) == 1 else "ltr"


def _matching_pdis(classes: list[str]) -> dict[int, int]:
    """BD9: isolate initiator position -> its matching PDI position (both ways)."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for k, kind in enumerate(classes):
        if kind in ISOLATE_INITIATORS:
            stack.append(k)
        elif kind == "PDI" and stack:
            opener = stack.pop()
            pairs[opener] = k
            pairs[k] = opener
    return pairs


@dataclass
class _Entry:
    level: int
    override: str | None
    isolate: bool


def _explicit(classes: list[str], para: int, pdis: dict[int, int]) -> list[int]:
    """Rules X1-X8: each character's embedding level; overrides rewrite `classes` in place."""
    levels = [para] * len(classes)
    stack = [_Entry(para, None, False)]
    overflow_isolates = overflow_embeddings = valid_isolates = 0
    for k, kind in enumerate(classes):
        top = stack[-1]
        if kind in ("RLE", "LRE", "RLO", "LRO"):
            levels[k] = top.level
            odd = kind in ("RLE", "RLO")
            new = (top.level + 1) | 1 if odd else (top.level + 2) & ~1
            if new <= MAX_DEPTH and not overflow_isolates and not overflow_embeddings:
                override = {"RLO": "R", "LRO": "L"}.get(kind)
                stack.append(_Entry(new, override, False))
            elif not overflow_isolates:
                overflow_embeddings += 1
        elif kind in ISOLATE_INITIATORS:
            levels[k] = top.level
            if top.override:
                classes[k] = top.override
            if kind == "FSI":
                end = pdis.get(k, len(classes))
                rtl = _strong_direction(classes, k + 1, end) == 1
            else:
                rtl = kind == "RLI"
            new = (top.level + 1) | 1 if rtl else (top.level + 2) & ~1
            if new <= MAX_DEPTH and not overflow_isolates and not overflow_embeddings:
                valid_isolates += 1
                stack.append(_Entry(new, None, True))
            else:
                overflow_isolates += 1
        elif kind == "PDI":
            if overflow_isolates:
                overflow_isolates -= 1
            elif valid_isolates:
                overflow_embeddings = 0
                while not stack[-1].isolate:
                    stack.pop()
                stack.pop()
                valid_isolates -= 1
            top = stack[-1]
            levels[k] = top.level
            if top.override:
                classes[k] = top.override
        elif kind == "PDF":
            levels[k] = top.level
            if overflow_isolates:
                pass
            elif overflow_embeddings:
                overflow_embeddings -= 1
            elif not top.isolate and len(stack) >= 2:
                stack.pop()
        elif kind == "B":
            levels[k] = para
        else:
            levels[k] = top.level
            if top.override and kind != "BN":
                classes[k] = top.override
    return levels


def _run_sequences(
    kept: list[int], levels: list[int], classes: list[str], pdis: dict[int, int]
) -> list[list[int]]:
    """BD13: isolating run sequences (lists of positions), from the level runs of `kept`."""
    runs: list[list[int]] = []
    for k in kept:
        if runs and levels[runs[-1][-1]] == levels[k]:
            runs[-1].append(k)
        else:
            runs.append([k])
    starts = {run[0]: run for run in runs}
    sequences: list[list[int]] = []
    for run in runs:
        first = run[0]
        if classes[first] == "PDI" and first in pdis:
            continue  # continues the sequence of its isolate initiator
        sequence = list(run)
        while classes[sequence[-1]] in ISOLATE_INITIATORS and sequence[-1] in pdis:
            nxt = starts.get(pdis[sequence[-1]])
            if nxt is None:
                break
            sequence.extend(nxt)
        sequences.append(sequence)
    return sequences


@lru_cache(maxsize=4096)
def embedding_levels(text: str, base: Direction | None = None) -> tuple[int, ...]:
    """The resolved embedding level of each character of one line (UAX #9, rules P-L1).

    `base` fixes the paragraph direction; None finds it from the text (rules P2/P3).
    Characters removed by rule X9 take the level of the character before them.
    """
    if not text:
        return ()
    original = [bidi_class(ch) for ch in text]
    classes = list(original)
    if base is None:
        para = 1 if _strong_direction(classes, 0, len(classes)) == 1 else 0
    else:
        para = 1 if base == "rtl" else 0
    pdis = _matching_pdis(classes)
    levels = _explicit(classes, para, pdis)
    kept = [k for k, kind in enumerate(original) if kind not in _REMOVED]
    explicit = list(levels)  # sos and eos compare embedding levels, not resolved ones
    for seq in _run_sequences(kept, explicit, classes, pdis):
        level = explicit[seq[0]]
        first, last = seq[0], seq[-1]
        before = next((explicit[k] for k in reversed(kept) if k < first), para)
        after_k = next((k for k in kept if k > last), None)
        if classes[last] in ISOLATE_INITIATORS and last not in pdis:
            after = para
        else:
            after = explicit[after_k] if after_k is not None else para
        sos = "R" if max(level, before) % 2 else "L"
        eos = "R" if max(level, after) % 2 else "L"
        resolve_sequence(seq, text, classes, original, levels, sos, eos)
    # Removed characters take their neighbour's level (they draw nothing).
    previous = para
    kept_set = set(kept)
    for k in range(len(text)):
        if k in kept_set:
            previous = levels[k]
        else:
            levels[k] = previous
    # L1: separators, and whitespace before them or at the end of the line.
    trailing = True
    for k in range(len(text) - 1, -1, -1):
        kind = original[k]
        if kind in ("S", "B"):
            levels[k] = para
            trailing = True
        elif trailing and kind in ("WS", *ISOLATE_INITIATORS, "PDI", *_REMOVED):
            levels[k] = para
        else:
            trailing = False
    return tuple(levels)


def reorder(levels: tuple[int, ...] | list[int]) -> list[int]:
    """Rule L2: logical positions in left-to-right visual order."""
    order = list(range(len(levels)))
    if not levels:
        return order
    lowest_odd = min(levels) | 1
    for level in range(max(levels), lowest_odd - 1, -1):
        k = 0
        while k < len(order):
            if levels[order[k]] >= level:
                j = k
                while j < len(order) and levels[order[j]] >= level:
                    j += 1
                order[k:j] = reversed(order[k:j])
                k = j
            else:
                k += 1
    return order


def display_order(text: str, base: Direction | None = None) -> str:
    """`text` in left-to-right visual order (no mirroring): for tests and debugging."""
    levels = embedding_levels(text, base)
    return "".join(text[k] for k in reorder(levels))
