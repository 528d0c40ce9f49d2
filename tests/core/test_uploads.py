"""Uploads live in the database (campaign.core.uploads): any host serves them, its disk
and memory only cache them, and a bad cache copy is never served."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from campaign import create_app
from campaign.core.cache import app_cache
from campaign.core.uploads import StoredUpload, cache_path, store_upload, upload_bytes
from campaign.extensions import db


def _count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(StoredUpload)) or 0)


def test_an_upload_is_stored_once_by_kind_and_digest(app: Flask) -> None:
    digest = store_upload("logo", b"picture bytes", "image/png")
    assert digest == hashlib.sha256(b"picture bytes").hexdigest()
    assert store_upload("logo", b"picture bytes", "image/png") == digest
    # Another kind is another upload, even with the same bytes.
    assert store_upload("background", b"picture bytes", "image/jpeg") == digest
    db.session.commit()
    assert _count() == 2
    assert upload_bytes("logo", digest) == b"picture bytes"
    assert upload_bytes("background", digest) == b"picture bytes"


def test_another_host_reads_the_upload_from_the_database(
    app: Flask, app_config: dict, tmp_path: Path
) -> None:
    digest = store_upload("logo", b"logo from host one", "image/png")
    db.session.commit()
    other = create_app({**app_config, "INSTANCE_PATH": str(tmp_path / "host-two")})
    with other.app_context():
        assert not cache_path("logo", digest).exists()
        assert upload_bytes("logo", digest) == b"logo from host one"
        assert cache_path("logo", digest).read_bytes() == b"logo from host one"
        db.session.remove()
        db.engine.dispose()


def test_a_damaged_cache_copy_is_replaced_from_the_database(app: Flask) -> None:
    digest = store_upload("logo", b"the real bytes", "image/png")
    db.session.commit()
    cache_path("logo", digest).write_bytes(b"torn")
    app_cache("uploads", 1).clear()
    assert upload_bytes("logo", digest) == b"the real bytes"
    shutil.rmtree(cache_path("logo", digest).parent.parent)
    app_cache("uploads", 1).clear()
    assert upload_bytes("logo", digest) == b"the real bytes", "the cache is rebuilt"


@pytest.mark.parametrize(
    ("kind", "digest"),
    [("logo", "0" * 64), ("logo", "../../etc/passwd"), ("Logo!", "0" * 64), ("", "0" * 64)],
)
def test_unknown_or_malformed_names_give_nothing(app: Flask, kind: str, digest: str) -> None:
    assert upload_bytes(kind, digest) is None


def test_a_bad_kind_is_refused_before_anything_is_stored(app: Flask) -> None:
    with pytest.raises(ValueError):
        store_upload("../logo", b"x", "image/png")
    assert _count() == 0
