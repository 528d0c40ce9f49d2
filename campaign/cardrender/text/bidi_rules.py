"""UAX #9's rules on one isolating run sequence: weak types (W1-W7), bracket pairs (N0),
neutrals (N1-N2) and implicit levels (I1-I2). `bidi.embedding_levels` finds the sequences."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

ISOLATE_INITIATORS = frozenset({"LRI", "RLI", "FSI"})
_NEUTRAL_OR_ISOLATE = frozenset({"B", "S", "WS", "ON", "LRI", "RLI", "FSI", "PDI"})
_BRACKET_LIMIT = 63  # BD16: a deeper stack of open brackets stops the pairing


def resolve_sequence(
    seq: list[int],
    text: str,
    classes: list[str],
    original: list[str],
    levels: list[int],
    sos: str,
    eos: str,
) -> None:
    """Rules W1-W7, N0-N2 and I1-I2 on one isolating run sequence (levels updated)."""
    level = levels[seq[0]]
    types = _resolve_weak([classes[k] for k in seq], sos)
    _resolve_brackets(seq, types, text, original, sos, level)  # N0
    _resolve_neutrals(types, sos, eos, level)
    _resolve_implicit(seq, types, levels, level)


def _resolve_weak(types: list[str], sos: str) -> list[str]:
    """Rules W1-W7: the weak types of one sequence resolved (a new list)."""
    n = len(types)
    # W1
    for i in range(n):
        if types[i] == "NSM":
            if i == 0:
                types[i] = sos
            else:
                types[i] = "ON" if types[i - 1] in (*ISOLATE_INITIATORS, "PDI") else types[i - 1]
    # W2, W3
    last_strong = sos
    for i in range(n):
        t = types[i]
        if t in ("L", "R", "AL"):
            last_strong = t
        elif t == "EN" and last_strong == "AL":
            types[i] = "AN"
    types = ["R" if t == "AL" else t for t in types]
    # W4
    for i in range(1, n - 1):
        t, before, after = types[i], types[i - 1], types[i + 1]
        if t == "ES" and before == "EN" and after == "EN":
            types[i] = "EN"
        elif t == "CS" and before == after and before in ("EN", "AN"):
            types[i] = before
    # W5
    i = 0
    while i < n:
        if types[i] != "ET":
            i += 1
            continue
        j = i
        while j < n and types[j] == "ET":
            j += 1
        if (i > 0 and types[i - 1] == "EN") or (j < n and types[j] == "EN"):
            types[i:j] = ["EN"] * (j - i)
        i = j
    # W6
    types = ["ON" if t in ("ES", "ET", "CS") else t for t in types]
    # W7
    last_strong = sos
    for i in range(n):
        t = types[i]
        if t in ("L", "R"):
            last_strong = t
        elif t == "EN" and last_strong == "L":
            types[i] = "L"
    return types


def _resolve_neutrals(types: list[str], sos: str, eos: str, level: int) -> None:
    """Rules N1 and N2: each run of neutrals takes its neighbours' direction when they
    agree, else the embedding direction (types updated in place)."""
    n = len(types)
    embedding = "R" if level % 2 else "L"
    i = 0
    while i < n:
        if types[i] not in _NEUTRAL_OR_ISOLATE:
            i += 1
            continue
        j = i
        while j < n and types[j] in _NEUTRAL_OR_ISOLATE:
            j += 1
        before = sos if i == 0 else ("R" if types[i - 1] in ("R", "EN", "AN") else "L")
        after = eos if j == n else ("R" if types[j] in ("R", "EN", "AN") else "L")
        types[i:j] = [before if before == after else embedding] * (j - i)
        i = j


def _resolve_implicit(seq: list[int], types: list[str], levels: list[int], level: int) -> None:
    """Rules I1 and I2: the final levels of the sequence's characters."""
    for i, k in enumerate(seq):
        t = types[i]
        if level % 2 == 0:
            if t == "R":
                levels[k] = level + 1
            elif t in ("AN", "EN"):
                levels[k] = level + 2
        elif t in ("L", "EN", "AN"):
            levels[k] = level + 1


# --- Bracket pairs (rule N0) ---------------------------------------------------------------------


@lru_cache(maxsize=1)
def _bracket_pairs() -> dict[str, tuple[str, bool]]:
    """char -> (canonical partner, is opening): Bidi_Paired_Bracket from the names.

    The Unicode database's paired brackets are the mirrored Ps/Pe characters; each pairs
    with the one whose name swaps LEFT/RIGHT (or OPENING/CLOSING), except two tick-corner
    brackets named crosswise. U+2329/U+232A match U+3008/U+3009 (canonical equivalents).
    """
    by_name: dict[str, str] = {}
    candidates: list[str] = []
    for code in range(0x20, 0x10000):
        ch = chr(code)
        if unicodedata.category(ch) in ("Ps", "Pe") and unicodedata.mirrored(ch):
            candidates.append(ch)
            by_name[unicodedata.name(ch, "")] = ch
    swaps = (("LEFT", "RIGHT"), ("OPENING", "CLOSING"))
    pairs: dict[str, tuple[str, bool]] = {}
    for ch in candidates:
        name = unicodedata.name(ch, "")
        opening = unicodedata.category(ch) == "Ps"
        for a, b in swaps:
            src, dst = (a, b) if opening else (b, a)
            partner = by_name.get(name.replace(src, dst))
            if src in name and partner is not None:
                pairs[ch] = (partner, opening)
                break
    crosswise = {"\u298d": "\u2990", "\u298f": "\u298e"}
    for left, right in crosswise.items():
        pairs[left] = (right, True)
        pairs[right] = (left, False)
    return pairs


def _canonical_bracket(ch: str) -> str:
    return unicodedata.normalize("NFD", ch)


def _resolve_brackets(
    seq: list[int], types: list[str], text: str, original: list[str], sos: str, level: int
) -> None:
    """Rule N0 on one isolating run sequence (types indexed like seq)."""
    table = _bracket_pairs()
    stack: list[tuple[str, int]] = []
    found: list[tuple[int, int]] = []
    for i, k in enumerate(seq):
        if types[i] != "ON":
            continue
        entry = table.get(text[k])
        if entry is None:
            continue
        partner, opening = entry
        if opening:
            if len(stack) == _BRACKET_LIMIT:
                break
            stack.append((_canonical_bracket(partner), i))
            continue
        mine = _canonical_bracket(text[k])
        for depth in range(len(stack) - 1, -1, -1):
            if stack[depth][0] == mine:
                found.append((stack[depth][1], i))
                del stack[depth:]
                break
    embedding = "R" if level % 2 else "L"

    def strong(t: str) -> str | None:
        if t == "L":
            return "L"
        if t in ("R", "EN", "AN"):
            return "R"
        return None

    for open_i, close_i in sorted(found):
        inside = {strong(types[j]) for j in range(open_i + 1, close_i)} - {None}
        if embedding in inside:
            new = embedding
        elif inside:
            before = next(
                (s for j in range(open_i - 1, -1, -1) if (s := strong(types[j])) is not None),
                sos,
            )
            new = before if before != embedding else embedding
        else:
            continue
        for j in (open_i, close_i):
            types[j] = new
            m = j + 1
            while m < len(seq) and original[seq[m]] == "NSM":
                types[m] = new
                m += 1
