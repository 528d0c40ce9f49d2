"""Uploaded files kept in the database, so every host serves them; local disk is a cache.

The scale-out topology runs web instances and schedulers on different hosts, each with
its own instance folder, so an upload written to one host's disk would be missing on the
others (cards drawn there would lack the logo). An upload is therefore a row: its kind
("logo", or any later kind such as a background photo), the SHA-256 of its bytes, its
media type and the bytes themselves. Rows are content-addressed and never change, so a
host keeps what it has read under instance/uploads/<kind>/<digest> and in memory, and any
host rebuilds that cache from the database.

The API, for any kind: store_upload(kind, data, media_type) -> digest (the caller
validates and re-encodes the file first, and commits), upload_bytes(kind, digest) ->
bytes or None.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import LargeBinary, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from campaign.core.cache import app_cache
from campaign.core.timeutil import utcnow
from campaign.core.types import UTCDateTime
from campaign.extensions import Model, db

log = logging.getLogger(__name__)

KIND_RE = re.compile(r"[a-z][a-z0-9_-]{0,39}")
DIGEST_RE = re.compile(r"[0-9a-f]{64}")
MEMORY_SLOTS = 32


class StoredUpload(Model):
    """One uploaded file's bytes, by kind and content digest (rows never change)."""

    __tablename__ = "stored_uploads"
    __table_args__ = (UniqueConstraint("kind", "digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    digest: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def _check(kind: str, digest: str | None = None) -> None:
    if not KIND_RE.fullmatch(kind):
        raise ValueError(f"not an upload kind: {kind!r}")
    if digest is not None and not DIGEST_RE.fullmatch(digest):
        raise ValueError("not a SHA-256 hex digest")


def cache_path(kind: str, digest: str) -> Path:
    """Where this host keeps its copy of an upload."""
    return Path(current_app.instance_path) / "uploads" / kind / digest


def store_upload(kind: str, data: bytes, media_type: str) -> str:
    """Keep data (already validated and cleaned by the caller) as an upload of this kind;
    returns its digest. Adds and flushes; the caller commits. Storing the same bytes
    again adds nothing."""
    _check(kind)
    digest = hashlib.sha256(data).hexdigest()
    exists = db.session.scalar(
        select(StoredUpload.id).where(StoredUpload.kind == kind, StoredUpload.digest == digest)
    )
    if exists is None:
        db.session.add(
            StoredUpload(kind=kind, digest=digest, media_type=media_type, size=len(data), data=data)
        )
        db.session.flush()
    _write_cache(cache_path(kind, digest), data)
    return digest


def upload_bytes(kind: str, digest: str) -> bytes | None:
    """An upload's bytes: from memory, this host's disk cache, or the database (then kept
    in both caches); None when there is no such upload or digest."""
    try:
        _check(kind, digest)
    except ValueError:
        return None
    found, value = app_cache("uploads", MEMORY_SLOTS).lookup((kind, digest), digest)
    if found:
        return value  # type: ignore[no-any-return]
    path = cache_path(kind, digest)
    data: bytes | None = None
    try:
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:  # a torn or altered copy
            data = None
    except OSError:
        pass
    if data is None:
        data = db.session.scalar(
            select(StoredUpload.data).where(
                StoredUpload.kind == kind, StoredUpload.digest == digest
            )
        )
        if data is None:
            log.warning("upload %s/%s is not in the database", kind, digest[:12])
            return None
        _write_cache(path, data)
    app_cache("uploads", MEMORY_SLOTS).put((kind, digest), digest, data)
    return data


def _write_cache(target: Path, data: bytes) -> None:
    """Write this host's copy through a temporary file, so no reader sees half of it. A
    cache that cannot be written is only logged: the database has the upload."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            return
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        log.warning("upload cache %s not written (%s)", target.name[:12], type(exc).__name__)
