"""Share SQLAlchemy's compiled statements between the engines of a test run.

Every test builds a fresh app, and with it a fresh engine, whose cache of compiled SQL
starts empty: every statement a test runs is compiled again in every test, about a sixth
of the CPU of a test that requests a few pages. SQLAlchemy keys a compiled statement by
the dialect object, the statement's own cache key and a few execution flags. Two dialects
of the same class whose settings are equal (the engines of one worker, all on its one
database URL) compile every statement to the same SQL, so here the engines share one
cache, keyed by the dialect's class and settings instead of by the object. A dialect
holding a setting that cannot be compared (an unhashable value) keeps a cache of its own.
tests/core/test_sql_cache.py checks that the shared SQL equals a fresh compilation and
that differently configured dialects do not share.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from sqlalchemy import Connection, Engine, event, util
from sqlalchemy.engine.interfaces import Dialect

SIZE = 5_000  # statements; one worker's suite compiles about a thousand distinct ones

# Helpers a dialect builds for itself from its settings (compared through the settings).
_DERIVED = frozenset(
    {"_type_memos", "identifier_preparer", "type_compiler", "type_compiler_instance"}
)

_shared: util.LRUCache[Any, Any] = util.LRUCache(SIZE)


def dialect_signature(dialect: Dialect) -> Hashable:
    """What the SQL a dialect compiles depends on: its class and settings, or the dialect
    itself when a setting cannot be compared."""
    settings = tuple(sorted((k, v) for k, v in vars(dialect).items() if k not in _DERIVED))
    try:
        hash(settings)
    except TypeError:
        return dialect
    return (type(dialect), settings)


class SharedCompiledCache:
    """An engine's compiled cache that reads and writes the process-wide one, with the
    dialect in each key replaced by its signature (taken once the dialect has connected
    and learnt the server's version)."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._signature: Hashable | None = None

    def _key(self, key: tuple[Any, ...]) -> tuple[Any, ...]:
        if self._signature is None:
            self._signature = dialect_signature(self._dialect)
        assert key[0] is self._dialect, "a statement compiled for another dialect"
        return (self._signature, *key[1:])

    def get(self, key: tuple[Any, ...], default: Any = None) -> Any:
        return _shared.get(self._key(key), default)

    def __setitem__(self, key: tuple[Any, ...], value: Any) -> None:
        _shared[self._key(key)] = value

    def __len__(self) -> int:
        return len(_shared)

    def clear(self) -> None:
        _shared.clear()


def _share(connection: Connection) -> None:
    engine = connection.engine
    if engine._compiled_cache is not None and not isinstance(
        engine._compiled_cache, SharedCompiledCache
    ):
        # Read by each execution from the engine: set before this connection's first one.
        engine._compiled_cache = SharedCompiledCache(engine.dialect)  # type: ignore[assignment]


def install() -> None:
    """Every engine shares compiled SQL with the engines configured like it (idempotent)."""
    if not event.contains(Engine, "engine_connect", _share):
        event.listen(Engine, "engine_connect", _share)


def uninstall() -> None:
    """Engines made from now on keep caches of their own (for the test of this module)."""
    if event.contains(Engine, "engine_connect", _share):
        event.remove(Engine, "engine_connect", _share)
