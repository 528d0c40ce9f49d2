"""Rendered cards on disk: instance/cards/<key>.png, written atomically, rendered once.

Several gunicorn workers (and threads) may ask for the same missing key at the same moment;
a per-key lock file (fcntl.flock, which also separates threads because each caller opens
its own file description) lets exactly one of them render while the others wait and then
read the finished file. Files appear with os.replace, so a reader never sees half a PNG.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

log = logging.getLogger(__name__)

KEY_RE = re.compile(r"^[0-9a-f]{32}$")
LOCK_SUFFIX = ".lock"


class CardStore:
    """The directory of rendered cards (or, with suffix=".pdf", of printable flyers)."""

    def __init__(self, directory: str | os.PathLike[str], suffix: str = ".png") -> None:
        self.directory = Path(directory)
        self.lock_directory = self.directory / ".locks"
        self.suffix = suffix  # ".png" for cards; thumbnails are ".webp" or ".png"

    def path(self, key: str) -> Path:
        """Where the file for key lives (key must be 32 hex characters)."""
        if not KEY_RE.match(key):
            raise ValueError("not a card key")
        return self.directory / f"{key}{self.suffix}"

    def read(self, key: str) -> bytes | None:
        """The stored PNG, or None when it has not been rendered yet."""
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            return None

    @contextmanager
    def _locked(self, key: str) -> Iterator[None]:
        """Hold key's lock file (other threads and processes wait)."""
        self.lock_directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_directory / f"{key}{LOCK_SUFFIX}", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def get_or_render(self, key: str, render: Callable[[], bytes]) -> bytes:
        """The PNG for key, calling render() at most once across threads and processes."""
        data = self.read(key)
        if data is not None:
            return data
        with self._locked(key):
            data = self.read(key)  # someone else may have finished while we waited
            if data is not None:
                return data
            data = render()
            self.write(key, data)
            return data

    def write(self, key: str, data: bytes) -> None:
        """Store data for key atomically (temporary file in the same directory, then rename)."""
        target = self.path(key)
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{key}.", suffix=".tmp", dir=self.directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def delete(self, key: str) -> bool:
        """Remove the file for key (under its lock); True if there was one."""
        with self._locked(key):
            try:
                self.path(key).unlink()
            except FileNotFoundError:
                return False
        with suppress(FileNotFoundError):
            (self.lock_directory / f"{key}{LOCK_SUFFIX}").unlink()
        return True

    def keys(self) -> set[str]:
        """Keys that have a rendered file."""
        if not self.directory.exists():
            return set()
        return {p.stem for p in self.directory.glob(f"*{self.suffix}") if KEY_RE.match(p.stem)}

    def sweep_leftovers(self, older_than_seconds: float = 3600) -> int:
        """Delete stale temporary files and lock files of keys without a PNG; return how many."""
        if not self.directory.exists():
            return 0
        cutoff = time.time() - older_than_seconds
        candidates = list(self.directory.glob(".*.tmp"))
        if self.lock_directory.exists():
            candidates += [
                p
                for p in self.lock_directory.glob(f"*{LOCK_SUFFIX}")
                if not (self.directory / f"{p.stem}{self.suffix}").exists()
            ]
        removed = 0
        for path in candidates:
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed
