"""A value kept while its version is unchanged: the one in-memory memo of the app.

An entry is a slot (which thing: an event's calendar, a dashboard figure, a page) holding
the value together with the version it was computed for (whatever cheap value changes when
the thing can: a row's columns, a count, a time bucket). A lookup hits only when the
stored version equals the current one, so nothing is ever invalidated by hand and a stale
value cannot be returned; a new version replaces the slot's value, so memory is bounded by
the number of slots (the least recently used go first), not by how often things change.
Every method is thread-safe; values are computed outside the lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from flask import current_app

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_EXTENSION = "campaign_versioned_caches"
_apps_lock = threading.Lock()


class VersionedCache(Generic[K, V]):
    """At most `size` slots, each holding (version, value); least recently used go first."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a cache holds at least one slot")
        self.size = size
        self._slots: OrderedDict[K, tuple[object, V]] = OrderedDict()
        self._lock = threading.Lock()

    def _entry(self, slot: K, version: object) -> tuple[object, V] | None:
        """The slot's (version, value) when it is for this version (marked recently used)."""
        with self._lock:
            found = self._slots.get(slot)
            if found is None or found[0] != version:
                return None
            self._slots.move_to_end(slot)
            return found

    def lookup(self, slot: K, version: object) -> tuple[bool, V | None]:
        """(True, value) when slot holds a value computed for this version, else (False, None)."""
        found = self._entry(slot, version)
        return (False, None) if found is None else (True, found[1])

    def get(self, slot: K, version: object) -> V | None:
        """The value kept for slot at this version, or None."""
        return self.lookup(slot, version)[1]

    def put(self, slot: K, version: object, value: V) -> None:
        """Keep value for slot at this version (replacing any other version's value)."""
        with self._lock:
            self._slots[slot] = (version, value)
            self._slots.move_to_end(slot)
            while len(self._slots) > self.size:
                self._slots.popitem(last=False)

    def get_or_compute(self, slot: K, version: object, compute: Callable[[], V]) -> V:
        """The kept value, or compute() once and keep it (two threads may both compute)."""
        found = self._entry(slot, version)
        if found is not None:
            return found[1]
        value = compute()
        self.put(slot, version, value)
        return value

    def clear(self) -> None:
        """Forget every slot."""
        with self._lock:
            self._slots.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._slots)


def app_cache(name: str, size: int) -> VersionedCache[Any, Any]:
    """The current app's cache called name (made with size slots on first use).

    Per app rather than per module, so that two apps in one process (tests) never share
    values.
    """
    with _apps_lock:
        caches: dict[str, VersionedCache[Any, Any]] = current_app.extensions.setdefault(
            _EXTENSION, {}
        )
        cache = caches.get(name)
        if cache is None:
            cache = caches[name] = VersionedCache(size)
        return cache
