"""The app compresses HTML, CSS and JS itself (campaign.core.compression)."""

from __future__ import annotations

import gzip
import zlib

import brotli  # type: ignore[import-untyped]
import pytest

from campaign.core.compression import Spliced, accepted_encoding


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip, deflate, br, zstd", "br"),
        ("gzip", "gzip"),
        ("br;q=0, gzip", "gzip"),
        ("gzip;q=0", None),
        ("identity", None),
        ("", None),
        (None, None),
    ],
)
def test_the_encoding_follows_accept_encoding(header: str | None, expected: str | None) -> None:
    assert accepted_encoding(header) == expected


def test_each_accept_encoding_header_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from campaign.core import compression

    parsed: list[str] = []
    real = compression.parse_accept_header

    def counting(value: str) -> object:
        parsed.append(value)
        return real(value)

    monkeypatch.setattr(compression, "parse_accept_header", counting)
    header = "gzip, br;q=0.5, test-only-coding"
    assert [accepted_encoding(header) for _ in range(3)] == ["br"] * 3
    assert accepted_encoding(header, False) == "gzip"
    assert parsed == [header, header], "once for each (header, brotli possible)"


def test_a_spliced_page_is_one_valid_gzip_member_with_any_values() -> None:
    parts = [b"<html>" + b"static text " * 500, b" middle ", b"</html>"]
    page = Spliced(parts)
    for values in ([b"token-one", b"x"], [b"", b""], [b"y" * 70_000, b"\xe2\x82\xac"]):
        body = page.gzip(values)
        assert gzip.decompress(body) == page.plain(values)
        # A streaming decoder (as browsers use) reads it to the end too.
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        assert decoder.decompress(body) == page.plain(values) and decoder.eof
    assert len(page.gzip([b"a", b"b"])) < len(page.plain([b"a", b"b"])) / 5
    with pytest.raises(ValueError):
        page.gzip([b"only one value"])


def test_static_css_and_js_are_compressed_with_a_weak_etag(client) -> None:
    plain = client.get("/assets/css/app.css")
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]
    for _ in range(2):  # compressed once, then from memory; the file is closed each time
        packed = client.get("/assets/css/app.css", headers={"Accept-Encoding": "br"})
        assert packed.headers["Content-Encoding"] == "br"
        assert brotli.decompress(packed.get_data()) == plain.get_data()
        assert packed.headers["ETag"].startswith("W/")
    etag = packed.headers["ETag"]
    again = client.get(
        "/assets/css/app.css", headers={"Accept-Encoding": "br", "If-None-Match": etag}
    )
    assert again.status_code == 304
    script = client.get("/assets/js/app.js", headers={"Accept-Encoding": "gzip"})
    assert script.headers["Content-Encoding"] == "gzip"
    plain_script = client.get("/assets/js/app.js").get_data()
    assert gzip.decompress(script.get_data()) == plain_script


def test_pages_through_flask_are_compressed_and_small_answers_are_not(client) -> None:
    page = client.get("/manage/login", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip"
    assert b"<form" in gzip.decompress(page.get_data())
    health = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in health.headers
