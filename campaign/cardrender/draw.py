"""Draw a plan with Pillow and report every text run drawn."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

from PIL import Image, ImageDraw

from .contrast import RGB, contrast_ratio, parse_colour, to_hex
from .plan import Box, Plan, ShapeOp, TextOp
from .text.fonts import is_bitmap, load_font
from .text.measure import bitmap_run, direction_kwargs

SUPERSAMPLE = 3  # shapes are drawn this much larger, then reduced, for smooth edges


# --- Report --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextRun:
    """One drawn text block: what, where, how big, and in which colours."""

    field: str
    role: str
    text: str
    lines: tuple[str, ...]
    font_size: int
    weight: str
    families: tuple[str, ...]
    bbox: Box  # measured ink, image coordinates
    box: Box  # the slot it had to fit in
    fill: str
    background: str  # the least contrasting colour under the ink, measured on the image
    truncated: bool = False


@dataclass(frozen=True)
class RenderReport:
    """What a render drew, for tests and for alt text."""

    kind: str
    preset: str
    size: tuple[int, int]
    runs: tuple[TextRun, ...]
    text_area: Box
    name_omitted: bool = False
    dropped_characters: tuple[str, ...] = ()
    qr_box: Box | None = None
    qr_module: int | None = None
    mirrored: bool = False
    omitted: tuple[str, ...] = ()  # optional fields left off this preset for want of room

    def run(self, field_name: str) -> TextRun | None:
        """The run for a field, if drawn."""
        return next((r for r in self.runs if r.field == field_name), None)

    def drawn_text(self) -> dict[str, str]:
        """field -> text as drawn."""
        return {r.field: r.text for r in self.runs}


# --- Drawing -------------------------------------------------------------------------------------


def _smooth_mask(
    size: tuple[int, int], draw_shape: Callable[[ImageDraw.ImageDraw, int], object]
) -> Image.Image:
    """An anti-aliased mask: the shape drawn SUPERSAMPLE times larger, then reduced."""
    w, h = size
    big = Image.new("L", (w * SUPERSAMPLE, h * SUPERSAMPLE), 0)
    draw_shape(ImageDraw.Draw(big), SUPERSAMPLE)
    return big.resize((w, h), Image.Resampling.BOX)


def _mirrored_mask(
    size: tuple[int, int], draw_shape: Callable[[ImageDraw.ImageDraw, int], object]
) -> Image.Image:
    """_smooth_mask for a shape symmetric about both axes: only a quarter is supersampled.

    The quarter is the top-left of the full shape (the drawing is clipped to it), mirrored
    into the other three; for even sides this is pixel-identical to the full mask.
    """
    w, h = size
    if w % 2 or h % 2:
        return _smooth_mask(size, draw_shape)
    k = SUPERSAMPLE
    big = Image.new("L", (w // 2 * k, h // 2 * k), 0)
    draw_shape(ImageDraw.Draw(big), k)
    quarter = big.resize((w // 2, h // 2), Image.Resampling.BOX)
    mask = Image.new("L", size, 0)
    mask.paste(quarter, (0, 0))
    mask.paste(quarter.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (w // 2, 0))
    mask.paste(quarter.transpose(Image.Transpose.FLIP_TOP_BOTTOM), (0, h // 2))
    mask.paste(quarter.transpose(Image.Transpose.ROTATE_180), (w // 2, h // 2))
    return mask


def _paint_rounded(image: Image.Image, op: ShapeOp) -> None:
    """Paint an anti-aliased rounded rectangle, filled or (op.width > 0) a ring that wide.

    Only the corners need supersampling. A small sample with all four corners is drawn; its
    corners are pasted as masks at the shape's corners, its middle row and column are
    stretched along the straight edges, and the inside is filled plainly: pixel-identical to
    masking the whole shape drawn supersampled, at a fraction of the cost.
    """
    x0, y0, x1, y1 = op.box
    w, h = x1 - x0, y1 - y0
    radius, outline = op.radius, op.width
    c = max(radius, outline) + 1  # corner square: every curved pixel lies inside it

    def shape(side_w: int, side_h: int) -> Callable[[ImageDraw.ImageDraw, int], object]:
        def draw(d: ImageDraw.ImageDraw, k: int) -> None:
            box = (0, 0, side_w * k - 1, side_h * k - 1)
            if outline:
                d.rounded_rectangle(box, radius=radius * k, outline=255, width=outline * k)
            else:
                d.rounded_rectangle(box, radius=radius * k, fill=255)

        return draw

    side = 2 * c + 1
    if side >= min(w, h):
        image.paste(op.fill, op.box, _mirrored_mask((w, h), shape(w, h)))
        return
    sample = _smooth_mask((side, side), shape(side, side))
    nearest = Image.Resampling.NEAREST
    edges = (
        ((c, 0, c + 1, c), (w - 2 * c, c), (x0 + c, y0)),  # top
        ((c, side - c, c + 1, side), (w - 2 * c, c), (x0 + c, y1 - c)),  # bottom
        ((0, c, c, c + 1), (c, h - 2 * c), (x0, y0 + c)),  # left
        ((side - c, c, side, c + 1), (c, h - 2 * c), (x1 - c, y0 + c)),  # right
    )
    for crop, stretched, (px, py) in edges:
        strip = sample.crop(crop).resize(stretched, nearest)
        image.paste(op.fill, (px, py, px + stretched[0], py + stretched[1]), strip)
    for sx, px in ((0, x0), (side - c, x1 - c)):
        for sy, py in ((0, y0), (side - c, y1 - c)):
            image.paste(op.fill, (px, py, px + c, py + c), sample.crop((sx, sy, sx + c, sy + c)))
    if sample.getpixel((c, c)):  # filled: the inside needs no mask
        image.paste(op.fill, (x0 + c, y0 + c, x1 - c, y1 - c))


def _draw_icon(draw: ImageDraw.ImageDraw, kind: str, s: int, scale: int, hole: int) -> None:
    """Icon shapes on an s x s canvas (already multiplied by scale); 255 = ink, `hole` = cut."""
    w = max(2, s // 11)
    if kind == "cross":
        draw.ellipse((w // 2, w // 2, s - w // 2, s - w // 2), outline=255, width=w)
        a, b = round(s * 0.33), round(s * 0.67)
        draw.line((a, a, b, b), fill=255, width=w)
        draw.line((a, b, b, a), fill=255, width=w)
    elif kind == "check":
        draw.ellipse((0, 0, s, s), fill=255)
        points = [(s * 0.28, s * 0.52), (s * 0.44, s * 0.67), (s * 0.73, s * 0.36)]
        draw.line(points, fill=hole, width=round(w * 1.3), joint="curve")
    elif kind == "calendar":
        top = round(s * 0.16)
        draw.rounded_rectangle(
            (w // 2, top, s - w // 2, s - w // 2), radius=s // 7, outline=255, width=w
        )
        draw.rectangle((w // 2, top, s - w // 2, round(s * 0.38)), fill=255)
        for fx in (0.32, 0.68):
            x = round(s * fx)
            draw.line((x, 0, x, round(s * 0.28)), fill=255, width=w)
        for fx, fy in ((0.33, 0.6), (0.5, 0.6), (0.67, 0.6), (0.33, 0.76), (0.5, 0.76)):
            dot = max(1, s // 22)
            draw.ellipse((s * fx - dot, s * fy - dot, s * fx + dot, s * fy + dot), fill=255)
    elif kind == "pin":
        r = s * 0.34
        cx, cy = s / 2, s * 0.38
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=255)
        draw.polygon(
            [(cx - r * 0.86, cy + r * 0.5), (cx + r * 0.86, cy + r * 0.5), (cx, s)], fill=255
        )
        hr = r * 0.42
        draw.ellipse((cx - hr, cy - hr, cx + hr, cy + hr), fill=hole)


@lru_cache(maxsize=32)
def _ring_mask(size: tuple[int, int], width: int) -> Image.Image:
    """The motif's ring as an anti-aliased mask (the same few rings on every card: kept,
    like the loaded fonts, rather than supersampled again for each card)."""
    w, h = size
    return _mirrored_mask(
        size, lambda d, k: d.ellipse((0, 0, w * k - 1, h * k - 1), outline=255, width=width * k)
    )


def _paint_shape(image: Image.Image, op: ShapeOp) -> None:
    x0, y0, x1, y1 = op.box
    size = (x1 - x0, y1 - y0)
    if size[0] <= 0 or size[1] <= 0:
        return
    if op.kind == "rect":
        image.paste(op.fill, op.box)
        return
    if op.kind in ("round", "outline"):
        _paint_rounded(image, op)
        return
    if op.kind == "ellipse":
        mask = _mirrored_mask(
            size, lambda d, k: d.ellipse((0, 0, size[0] * k - 1, size[1] * k - 1), fill=255)
        )
    elif op.kind == "ring":
        mask = _ring_mask(size, op.width)
    else:
        # Icons: ink where the mask is 255; the "hole" (0) shows what is behind.
        mask = _smooth_mask(size, lambda d, k: _draw_icon(d, op.icon, size[0] * k, k, 0))
    image.paste(op.fill, op.box, mask)


def _draw_text(draw: ImageDraw.ImageDraw, op: TextOp, image: Image.Image | None) -> Box:
    """Draw a fitted block and return its measured ink box.

    Each line's ink is Pillow's bounding box of exactly the segments drawn here, at the
    same pen positions (measured when the block was fitted).
    """
    ox, oy = op.origin
    fitted = op.fitted
    boxes: list[Box] = []
    for line in fitted.lines:
        for seg in line.segments:
            pen = (ox + line.x + seg.x, oy + line.baseline)
            if is_bitmap(seg.family):
                run = bitmap_run(seg.text, seg.family, fitted.weight, fitted.size, seg.direction)
                if image is not None and run.image.width:
                    xy = (pen[0] + run.offset[0], pen[1] + run.offset[1])
                    image.paste(run.image, xy, run.image)
                continue
            font = load_font(seg.family, fitted.weight, fitted.size)
            draw.text(
                pen,
                seg.text,
                font=font,
                fill=op.fill,
                anchor="ls",
                **direction_kwargs(seg.direction),
            )
        if line.ink:
            ink = line.ink
            boxes.append((ox + ink[0], oy + ink[1], ox + ink[2], oy + ink[3]))
    if not boxes:
        return (ox, oy, ox, oy)
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _ink_box(op: TextOp) -> Box:
    """The ink box _draw_text will report, from the fitted lines."""
    ox, oy = op.origin
    inks = [line.ink for line in op.fitted.lines if line.ink]
    if not inks:
        return (ox, oy, ox, oy)
    return (
        ox + min(i[0] for i in inks),
        oy + min(i[1] for i in inks),
        ox + max(i[2] for i in inks),
        oy + max(i[3] for i in inks),
    )


def least_contrast(image: Image.Image, box: Box, fill: RGB) -> RGB:
    """The colour under `box` that contrasts least with `fill` (a bound, measured).

    Luminance rises with each channel, so no pixel in the box is lighter than the
    per-channel maxima together, nor darker than the minima together: the worse of those
    two colours bounds the contrast of every pixel there (a flat box gives its colour).
    """
    x0, y0, x1, y1 = box
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(image.width, x1), min(image.height, y1)
    if x1 <= x0 or y1 <= y0:
        return parse_colour(cast("tuple[int, ...]", image.getpixel((0, 0))))  # an RGB pixel
    light, dark = channel_bounds(image.crop((x0, y0, x1, y1)))
    return min((light, dark), key=lambda c: contrast_ratio(fill, c))


def channel_bounds(image: Image.Image) -> tuple[RGB, RGB]:
    """(lightest, darkest) an RGB image's pixels can be: each channel's maximum together,
    and each one's minimum together."""
    # Pillow types getextrema() for every mode at once; an RGB image gives a (min, max)
    # pair per channel.
    extrema = cast("tuple[tuple[float, float], ...]", image.getextrema())
    light = cast(RGB, tuple(int(hi) for _, hi in extrema))
    dark = cast(RGB, tuple(int(lo) for lo, _ in extrema))
    return light, dark


@lru_cache(maxsize=16)
def _ground_cached(size: tuple[int, int], colour: RGB, rings: tuple[ShapeOp, ...]) -> Image.Image:
    image = Image.new("RGB", size, colour)
    for ring in rings:
        _paint_shape(image, ring)
    return image


def _ground(size: tuple[int, int], colour: RGB, rings: tuple[ShapeOp, ...]) -> Image.Image:
    """A fresh card of the background colour with the motif's rings on it."""
    return _ground_cached(size, colour, rings).copy()


def draw_plan(plan: Plan, *, draw_text: bool = True) -> tuple[Image.Image, RenderReport]:
    spec = plan.spec
    rings = 0
    while rings < len(plan.shapes) and plan.shapes[rings].kind == "ring":
        rings += 1
    # The background and its motif are the same on every card of a theme and preset.
    image = _ground(
        plan.preset.size, parse_colour(spec.theme.background), tuple(plan.shapes[:rings])
    )
    if plan.backdrop is not None:  # the campaign's photo under its scrim
        image.paste(plan.backdrop, (0, 0))
    for shape in plan.shapes[rings:]:
        if shape.kind != "icon":
            _paint_shape(image, shape)
    for picture in plan.images:
        if picture.image.mode == "RGBA":
            image.paste(picture.image, picture.xy, picture.image)
        else:
            image.paste(picture.image, picture.xy)
    for shape in plan.shapes:
        if shape.kind == "icon":
            _paint_shape(image, shape)
    # Without text, the runs are still measured by drawing them on a throwaway canvas.
    draw = ImageDraw.Draw(image if draw_text else Image.new("RGB", plan.preset.size))
    runs: list[TextRun] = []
    for op in plan.texts:
        # Runs never overlap, so what lies under this run's ink is measured just before
        # it is drawn (its ink box is known from the layout).
        ground = least_contrast(image, _ink_box(op), op.fill)
        bbox = _draw_text(draw, op, image if draw_text else None)
        fitted = op.fitted
        runs.append(
            TextRun(
                field=op.field,
                role=op.role,
                text=fitted.text,
                lines=tuple(line.text for line in fitted.lines),
                font_size=fitted.size,
                weight=fitted.weight,
                families=tuple(sorted({s.family for line in fitted.lines for s in line.segments})),
                bbox=bbox,
                box=op.box,
                fill=to_hex(op.fill),
                background=to_hex(ground),
                truncated=fitted.truncated,
            )
        )
    report = RenderReport(
        kind=spec.kind,
        preset=plan.preset.name,
        size=plan.preset.size,
        runs=tuple(runs),
        text_area=plan.preset.text_area,
        name_omitted=plan.name_omitted,
        dropped_characters=tuple(sorted(plan.dropped)),
        qr_box=plan.qr_box,
        qr_module=plan.qr_module,
        mirrored=plan.mirrored,
        omitted=tuple(sorted(plan.omitted)),
    )
    return image, report
