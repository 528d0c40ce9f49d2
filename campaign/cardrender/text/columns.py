"""Columns of text blocks that shrink together to fit one box."""

from __future__ import annotations

from dataclasses import dataclass, field

from .fitting import (
    DoesNotFit,
    FittedText,
    TextStyle,
    fit_at,
    fit_text,
    overflow_chars,
    prepare_text,
)
from .fonts import normalize_text


@dataclass(frozen=True)
class Block:
    """One text block in a column; `pad` adds room above and below (pills, panels)."""

    field: str
    text: str
    style: TextStyle
    truncate: bool = False
    space_before: int = 0
    pad: int = 0
    inset: int = 0  # room kept free at the line start (for an icon)


@dataclass(frozen=True)
class PlacedBlock:
    """A fitted block and its slot in the column (y relative to the column top)."""

    block: Block
    fitted: FittedText
    y: int  # slot top
    height: int  # slot height (text height + 2 * pad)


@dataclass(frozen=True)
class ColumnFit:
    """Every block fitted; `height` is the total height used."""

    blocks: tuple[PlacedBlock, ...]
    height: int

    def get(self, field_name: str) -> PlacedBlock | None:
        """The placed block for a field, if present."""
        return next((b for b in self.blocks if b.block.field == field_name), None)


@dataclass(frozen=True)
class ColumnDoesNotFit:
    """Some non-truncatable blocks cannot fit at their floors: field -> characters to cut."""

    overflow: dict[str, int] = field(default_factory=dict)


def _place(blocks: list[Block], fitted: list[FittedText]) -> ColumnFit:
    placed: list[PlacedBlock] = []
    y = 0
    for block, fit in zip(blocks, fitted, strict=True):
        y += block.space_before
        slot = fit.height + 2 * block.pad
        placed.append(PlacedBlock(block, fit, y, slot))
        y += slot
    return ColumnFit(tuple(placed), y)


def _fixed_height(blocks: list[Block]) -> int:
    return sum(b.space_before + 2 * b.pad for b in blocks)


def fit_column(blocks: list[Block], width: int, height: int) -> ColumnFit | ColumnDoesNotFit:
    """Fit blocks stacked top to bottom in width x height, shrinking them together.

    All blocks shrink in step, each within its own size range; truncatable blocks are cut
    only once everything is at its floor.
    """
    blocks = [b for b in blocks if normalize_text(b.text).strip()]
    if not blocks:
        return ColumnFit((), 0)
    fixed = _fixed_height(blocks)
    steps = max(1, max((b.style.sizes.max - b.style.sizes.min) // 2 for b in blocks))
    prepared = [prepare_text(b.text) for b in blocks]

    def attempt(k: int, exact: bool) -> list[FittedText] | None:
        """Every block at step k of `steps` (0 = all at their floors), if they all fit."""
        t = k / steps
        fitted: list[FittedText] = []
        used = fixed
        for b, (text, base) in zip(blocks, prepared, strict=True):
            size = b.style.sizes.at(t)
            fit = fit_at(text, b.style.at_size(size), size, width - b.inset, height, base, exact)
            if fit is None:
                return None
            fitted.append(fit)
            used += fit.height
            if used > height:
                return None
        return fitted

    # Smaller sizes never need more room, so the largest step that fits is found by
    # bisection on estimates, then confirmed exactly (stepping down if it was optimistic).
    if attempt(steps, False) is not None:
        fits = steps
    else:
        fits, fails = -1, steps  # -1 stands for "none fits"; `fails` is known not to
        while fails - fits > 1:
            mid = (fits + fails) // 2
            if attempt(mid, False) is None:
                fails = mid
            else:
                fits = mid
    for k in range(max(fits, 0), -1, -1):
        found = attempt(k, True)
        if found is not None:
            return _place(blocks, found)
    return _fit_at_floor(blocks, width, height)


def _fit_at_floor(blocks: list[Block], width: int, height: int) -> ColumnFit | ColumnDoesNotFit:
    """Everything at its floor: cut truncatable blocks, or report what must be cut."""
    floor = {b.field: b.style.at_size(b.style.sizes.min) for b in blocks}
    overflow: dict[str, int] = {}
    heights: dict[str, int] = {}
    min_heights: dict[str, int] = {}
    at_floor: dict[str, FittedText] = {}
    unbounded = 100_000
    for b in blocks:
        fit = fit_text(b.text, floor[b.field], width - b.inset, unbounded, truncate=b.truncate)
        if isinstance(fit, DoesNotFit):  # more lines than max_lines allows
            overflow[b.field] = fit.overflow_chars
            capped = fit_text("x", floor[b.field], width - b.inset, unbounded)
            per_line = capped.height if isinstance(capped, FittedText) else 0
            heights[b.field] = per_line * (b.style.max_lines or 1)
        else:
            heights[b.field] = fit.height
            at_floor[b.field] = fit
        one_line = fit_text("x", floor[b.field], width - b.inset, unbounded)
        min_heights[b.field] = one_line.height if isinstance(one_line, FittedText) else 0
    fixed = _fixed_height(blocks)
    firm = [b for b in blocks if not b.truncate]
    cuttable = [b for b in blocks if b.truncate]
    firm_height = sum(heights[b.field] for b in firm)
    spare = height - fixed - firm_height - sum(min_heights[b.field] for b in cuttable)
    if spare < 0 and firm:
        # Blame the longest non-truncatable text: how much of it fits in what is left over.
        worst = max(firm, key=lambda b: len(b.text))
        others = firm_height - heights[worst.field]
        budget = height - fixed - others - sum(min_heights[b.field] for b in cuttable)
        style = floor[worst.field]
        if budget <= 0:
            overflow[worst.field] = len(normalize_text(worst.text))
        else:
            overflow[worst.field] = max(
                overflow.get(worst.field, 0),
                overflow_chars(worst.text, style, width - worst.inset, budget),
            )
    if overflow:
        return ColumnDoesNotFit(overflow)
    # A firm block is drawn as it was laid out above. Fitting it again into its own height
    # could fail: a balanced layout may be lower than the greedy one, which is tried first.
    fitted: dict[str, FittedText] = {b.field: at_floor[b.field] for b in firm}
    remaining = height - fixed - firm_height
    for k, b in enumerate(cuttable):
        later = sum(min_heights[c.field] for c in cuttable[k + 1 :])
        fit = fit_text(b.text, floor[b.field], width - b.inset, remaining - later, truncate=True)
        if isinstance(fit, DoesNotFit):
            return ColumnDoesNotFit({b.field: fit.overflow_chars})
        fitted[b.field] = fit
        remaining -= fit.height
    return _place(blocks, [fitted[b.field] for b in blocks])
