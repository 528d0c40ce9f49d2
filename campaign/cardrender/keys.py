"""The keys a card and its alt text are kept under: what a kept card or text depends on,
worked out without laying anything out (no Pillow, no HarfBuzz, no font loaded), so the
pages that show kept cards never load the renderer."""

from __future__ import annotations

import dataclasses
import hashlib
import json

from .specs import AnySpec
from .text.fontfiles import font_digest

# Raised with every change to what render() draws for a spec that stays the same.
RENDERER_VERSION = "2"

# Raised with every change to the text alt_text() (alt.py) gives for a card: the pages
# keep each card's alt text on disk by card key and this version
# (campaign.graphics.services.alt_memo), and the card key changes with the spec, the fonts
# and RENDERER_VERSION, not with alt.py. tests/graphics/test_alt_text.py fails when the
# texts change and this does not.
ALT_TEXT_VERSION = "1"


def cache_key(spec: AnySpec, preset_name: str) -> str:
    """Content-addressed key: renderer version, card kind, preset (or paper), fonts, inputs
    and theme."""
    fields = {}
    for f in dataclasses.fields(spec):
        value = getattr(spec, f.name)
        if isinstance(value, bytes):
            value = hashlib.sha256(value).hexdigest()
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            value = dataclasses.asdict(value)
        fields[f.name] = value
    payload = {
        "renderer": RENDERER_VERSION,
        "kind": spec.kind,
        "preset": preset_name,
        "fonts": font_digest(),
        "spec": fields,
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()[:32]
