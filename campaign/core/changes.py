"""A cheap sign that the database may have changed: what lets memory answer from an
earlier read without reading again (campaign.core.pagecache remembers page states by it).

ChangeMarks(engine).mark() is a value that stays equal while nothing is committed to the
database, by any connection of any process or host, and differs after every commit:

- SQLite: `PRAGMA data_version` on a connection of the marks' own that never writes (the
  number changes whenever another connection commits to the file, in this process or
  another), with the file's identity (device, inode), so a database file replaced by
  another is never taken for the same one. No I/O beyond a look at the shared WAL index.
- PostgreSQL: the server's current snapshot (`pg_current_snapshot()`: the oldest
  transaction still running, one past the newest finished one, and those running in
  between). A commit either finishes a transaction the earlier snapshot listed as running
  or moves the newest finished one on, so two equal snapshots have seen the same commits.
  One small round trip on an autocommit connection of the marks' own, instead of the
  joins a state query runs. Commits to other databases of the same server change it too:
  that costs a fresh read, never a stale answer.

A mark is taken before the read it labels: a commit between the two leaves the remembered
value newer than its mark, and the next mark differs, so it is read again. mark() is None
when no mark can be had (another database, an in-memory SQLite, an error): the caller then
reads afresh, as without marks. The connection is opened on first use in each process (a
forked worker never uses its parent's) and closed with the engine (Engine.dispose).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Hashable
from typing import Any

from sqlalchemy import Engine, event

_SQLITE = "sqlite"
_POSTGRESQL = "postgresql"
SNAPSHOT_QUERY = "SELECT pg_current_snapshot()::text"
CONNECT_TIMEOUT = 10  # seconds, as campaign.config's DATABASE_CONNECT_TIMEOUT default


class ChangeMarks:
    """Marks of the database behind one engine (see the module's docstring)."""

    def __init__(self, engine: Engine) -> None:
        self.kind = engine.dialect.name
        self.engine = engine
        self._connection: Any = None
        self._pid = 0
        self._file: tuple[int, int] | None = None
        # Which connection a mark was taken on: SQLite's version numbers are the
        # connection's own, so marks of two connections never compare equal.
        self._generation = 0
        self._lock = threading.Lock()
        # Connections a forked process inherited: never used nor closed there (closing
        # one could end its parent's session), only kept from the garbage collector.
        self._inherited: list[Any] = []
        self.path = self._sqlite_path() if self.kind == _SQLITE else None
        event.listen(engine, "engine_disposed", lambda _engine: self.close())

    def _sqlite_path(self) -> str | None:
        database = self.engine.url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return os.path.abspath(database)

    def mark(self) -> Hashable | None:
        """A value equal to the last one while nothing was committed (None: unknown)."""
        if self.kind == _SQLITE:
            if self.path is None:
                return None
            with self._lock:
                return self._sqlite_mark(self.path)
        if self.kind == _POSTGRESQL:
            with self._lock:
                return self._postgresql_mark()
        return None

    def _own_connection(self) -> Any:
        """This process's connection (None: not opened yet here)."""
        if self._pid != os.getpid():
            if self._connection is not None:
                self._inherited.append(self._connection)
            self._connection, self._pid, self._file = None, os.getpid(), None
        return self._connection

    def _sqlite_mark(self, path: str) -> Hashable | None:
        try:
            stat = os.stat(path)
        except OSError:
            return None
        file = (stat.st_dev, stat.st_ino)
        connection = self._own_connection()
        if connection is not None and self._file != file:
            self._close_own()
            connection = None
        try:
            if connection is None:
                # Autocommit (no transaction is ever open on it), read-only by intent: it
                # only asks for the version. Never used by two threads at once (the lock).
                connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
                self._connection, self._file = connection, file
                self._generation += 1
            version = connection.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error:
            self._close_own()
            return None
        return (file, self._pid, self._generation, version)

    def _postgresql_mark(self) -> Hashable | None:
        connection = self._own_connection()
        dbapi = self.engine.dialect.loaded_dbapi
        try:
            if connection is None:
                cargs, cparams = self.engine.dialect.create_connect_args(self.engine.url)
                # The app's engines get theirs from connect_args (campaign.config), which
                # this connection does not go through: a silent server must not hang a hit.
                cparams.setdefault("connect_timeout", CONNECT_TIMEOUT)
                connection = self.engine.dialect.connect(*cargs, **cparams)
                connection.autocommit = True
                self._connection = connection
                self._generation += 1
            cursor = connection.cursor()
            try:
                cursor.execute(SNAPSHOT_QUERY)
                row = cursor.fetchone()
            finally:
                cursor.close()
        except dbapi.Error:
            self._close_own()
            return None
        return (self._pid, self._generation, row[0])

    def _close_own(self) -> None:
        connection, self._connection, self._file = self._connection, None, None
        if connection is not None:
            with contextlib.suppress(Exception):  # a broken one is dropped all the same
                connection.close()

    def close(self) -> None:
        """Close this process's connection (reopened on the next mark)."""
        with self._lock:
            if self._pid == os.getpid():
                self._close_own()
