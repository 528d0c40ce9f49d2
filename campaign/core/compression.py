"""Compressed answers: the app itself sends HTML, CSS and JavaScript gzipped or brotli'd,
so the embedded default (`make run`, no proxy) is compressed too.

Three paths:

- compress_response, after every request: a text answer of some size that the client
  accepts compressed is sent compressed (brotli when accepted, else gzip), with
  `Vary: Accept-Encoding`. Static files (CSS, JS) are compressed once per file version and
  kept in memory; their ETag becomes weak, as a compressed copy is not byte-equal.
- Spliced, for cached pages with per-visitor holes (a form token): the parts between the
  holes are deflated once when the page is stored, each ending on a byte boundary (a full
  flush), and every answer strings them together with the visitor's values as stored
  deflate blocks into one gzip member. A hit costs a CRC over the page, not a compression.
- A cached page without holes is stored brotli'd and gzipped whole.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from collections.abc import Sequence
from functools import cached_property, lru_cache

import brotli  # type: ignore[import-untyped]
from flask import Flask, Response, request
from werkzeug.http import parse_accept_header

from campaign.core.cache import app_cache

COMPRESSIBLE = frozenset(
    {
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "image/svg+xml",
        "text/plain",
        "text/calendar",
    }
)
MIN_BYTES = 512  # below this, the headers cost more than compression saves
GZIP_LEVEL = 6
BROTLI_QUALITY = 5  # an answer compressed as it is sent
# A stored page is compressed again whenever what it shows changes (on /events, every
# sign-up): quality 9 took 24-34 ms for the 54-123 KB listing and saved under 1% of the
# bytes quality 6 gives in 3-5 ms. A static file is compressed once per version.
BROTLI_PAGE_QUALITY = 6
BROTLI_STATIC_QUALITY = 9
STATIC_FILES = 64
GZIP, BROTLI = "gzip", "br"
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, mtime 0
_FINAL_BLOCK = b"\x03\x00"  # an empty final block (fixed Huffman, end of block)
_STORED_MAX = 0xFFFF


# Browsers send a handful of distinct headers: each is parsed once (a parse was a sixth of a
# compressed stored-page hit); bounded, so odd headers only push others out.
@lru_cache(maxsize=64)
def accepted_encoding(accept_encoding: str | None, can_brotli: bool = True) -> str | None:
    """The encoding to answer with for this Accept-Encoding header: br, gzip or None."""
    if not accept_encoding:
        return None
    accepted = parse_accept_header(accept_encoding)
    if can_brotli and accepted[BROTLI] > 0:
        return BROTLI
    if accepted[GZIP] > 0:
        return GZIP
    return None


def compress(data: bytes, encoding: str, brotli_quality: int = BROTLI_QUALITY) -> bytes:
    """data gzipped (mtime 0, so equal pages give equal bytes) or brotli'd."""
    if encoding == BROTLI:
        return brotli.compress(data, quality=brotli_quality)
    return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)


def _deflate_part(data: bytes) -> bytes:
    """Raw deflate of data, ending with a full flush: not final, byte-aligned, and
    independent of anything before it, so it can be put between other blocks."""
    deflater = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return deflater.compress(data) + deflater.flush(zlib.Z_FULL_FLUSH)


def _stored_blocks(data: bytes) -> bytes:
    """data as uncompressed (stored) deflate blocks, none of them final."""
    out = []
    for start in range(0, len(data), _STORED_MAX):
        chunk = data[start : start + _STORED_MAX]
        out.append(b"\x00" + struct.pack("<HH", len(chunk), len(chunk) ^ 0xFFFF) + chunk)
    return b"".join(out)


class Spliced:
    """A page cut at its holes, deflated once (when first asked for gzipped: a page
    without holes is stored gzipped whole): gzip answers with any values in the holes."""

    def __init__(self, parts: Sequence[bytes]) -> None:
        self.parts = list(parts)

    @cached_property
    def deflated(self) -> list[bytes]:
        return [_deflate_part(part) for part in self.parts]

    def plain(self, values: Sequence[bytes]) -> bytes:
        """The page with values in its holes, uncompressed."""
        return b"".join(_interleave(self.parts, values))

    def gzip(self, values: Sequence[bytes]) -> bytes:
        """The page with values in its holes, as one gzip member."""
        blocks = _interleave(self.deflated, [_stored_blocks(value) for value in values])
        plain = self.plain(values)
        trailer = struct.pack("<II", zlib.crc32(plain), len(plain) & 0xFFFFFFFF)
        return b"".join([_GZIP_HEADER, *blocks, _FINAL_BLOCK, trailer])


def _interleave(parts: Sequence[bytes], values: Sequence[bytes]) -> list[bytes]:
    if len(values) != len(parts) - 1:
        raise ValueError("a page cut at n holes has n + 1 parts")
    out = [parts[0]]
    for value, part in zip(values, parts[1:], strict=True):
        out += [value, part]
    return out


def _static_compressed(response: Response, encoding: str) -> bytes:
    """A static file's bytes compressed once per version (its ETag) and kept in memory."""
    etag, _ = response.get_etag()
    store = app_cache("compressed-static", STATIC_FILES)
    key = (request.path, encoding)

    def build() -> bytes:
        response.direct_passthrough = False
        return compress(response.get_data(), encoding, BROTLI_STATIC_QUALITY)

    return store.get_or_compute(key, etag, build)  # type: ignore[no-any-return]


def compress_response(response: Response) -> Response:
    """Compress a text answer the client accepts compressed (after_request)."""
    if (
        response.status_code != 200
        or response.mimetype not in COMPRESSIBLE
        or "Content-Encoding" in response.headers
        or request.method == "HEAD"
    ):
        return response
    response.vary.add("Accept-Encoding")
    encoding = accepted_encoding(request.headers.get("Accept-Encoding"))
    if encoding is None:
        return response
    if response.direct_passthrough:  # a static file
        length = response.content_length
        if length is not None and length < MIN_BYTES:
            return response
        etag, _ = response.get_etag()
        if etag is None:
            return response
        opened = response.response  # the open file, replaced (and closed) below
        data = _static_compressed(response, encoding)
        close = getattr(opened, "close", None)
        if close is not None:
            close()
        response.set_etag(etag, weak=True)
    else:
        if response.is_streamed:
            return response
        plain = response.get_data()
        if len(plain) < MIN_BYTES:
            return response
        data = compress(plain, encoding)
    response.direct_passthrough = False
    response.set_data(data)
    response.headers["Content-Encoding"] = encoding
    return response


def init_app(app: Flask) -> None:
    # Registered first, so it runs last: after every other hook has set the body.
    app.after_request_funcs.setdefault(None, []).insert(0, compress_response)
