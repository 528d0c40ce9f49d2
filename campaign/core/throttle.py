"""Limits that views check themselves, and one-time ids, kept in the rate-limit store.

Flask-Limiter's decorators answer a breach with a bare 429 before the view runs, which
loses what the person typed. The public form and the sign-in form instead ask this
module and answer with their own page. The store is the one configured for Flask-Limiter
(RATELIMIT_STORAGE_URI): Redis shared by every worker when configured, process memory by
default (MemoryWindows). Counting uses moving windows, so a limit holds exactly, at
every instant.

A store that fails (Redis down) lets requests through and logs it: a fault never
locks people out.

On Redis, one hit() is one round trip: a script tests every window of every check and,
only if none is spent, adds the request to all of them (the same list format as the
limits library's moving windows, so its reads still apply). A sign-up's five windows
once cost ten round trips. chain() goes further: several such steps and one-time ids in
the order a view would ask for them, stopping at the first that refuses, in one round
trip (the registration POST's three store calls became one).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from flask import Flask, current_app
from flask_babel import ngettext
from limits import RateLimitItem, parse_many
from limits.storage import MovingWindowSupport, storage_from_string

log = logging.getLogger(__name__)

_EXTENSION = "campaign_throttle"
ViewFunction = TypeVar("ViewFunction")


# The views that check their own limits here (core.setup skips Flask-Limiter's check).
OWN_LIMIT_VIEWS: set[object] = set()


def counts_own_limits(view: ViewFunction) -> ViewFunction:
    """Mark a view that checks its limits here, so Flask-Limiter's check skips it."""
    OWN_LIMIT_VIEWS.add(view)
    return view


@dataclass(frozen=True)
class Limited:
    """A refused request: which limit refused it and how many seconds until a retry passes."""

    name: str
    retry_after: int

    @property
    def wait_text(self) -> str:
        """The wait in words a person can act on ("about 2 minutes")."""
        if self.retry_after <= 60:
            seconds = max(self.retry_after, 1)
            return ngettext("%(num)s second", "%(num)s seconds", seconds)
        minutes = math.ceil(self.retry_after / 60)
        return ngettext("about %(num)s minute", "about %(num)s minutes", minutes)


@dataclass(frozen=True)
class Check:
    """One limit to apply: its name (for the answer), its rate string and its key parts."""

    name: str
    rates: str
    key: tuple[str, ...]


@dataclass(frozen=True)
class Once:
    """A one-time id to use up (Throttle.first_use) as a step of Throttle.chain."""

    kind: str
    one_time_id: str
    ttl: int


Step = tuple[Check, ...] | Once


@lru_cache(maxsize=64)
def _parse(rates: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(rates))


class MemoryWindows:
    """The default store: moving windows and one-time ids in this process's memory.

    The same four calls as the `limits` Redis storage, without the background timer
    thread `limits`' own memory storage starts on every few hits (a few milliseconds
    each on the busiest POST). Old entries are dropped when a key is touched, and every
    key is swept once a minute.
    """

    SWEEP_SECONDS = 60.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, deque[float]]] = {}  # key -> (expiry, times)
        self._counters: dict[str, tuple[int, float]] = {}  # key -> (count, expires at)
        self._next_sweep = 0.0

    def _window(self, key: str, expiry: float, now: float) -> deque[float]:
        """The key's timestamps still inside the window, oldest on the left."""
        window = self._windows.setdefault(key, (expiry, deque()))[1]
        while window and window[0] <= now - expiry:
            window.popleft()
        return window

    def _sweep(self, now: float) -> None:
        if now < self._next_sweep:
            return
        self._next_sweep = now + self.SWEEP_SECONDS
        for key in [k for k, (e, w) in self._windows.items() if not w or w[-1] <= now - e]:
            del self._windows[key]
        for key in [k for k, (_, until) in self._counters.items() if until <= now]:
            del self._counters[key]

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        now = time.time()
        with self._lock:
            self._sweep(now)
            window = self._window(key, expiry, now)
            if len(window) + amount > limit:
                return False
            window.extend([now] * amount)
            return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """(the oldest of the newest `limit` entries in the window, how many there are)."""
        now = time.time()
        with self._lock:
            window = self._window(key, expiry, now)
            if not window:
                return now, 0
            count = min(len(window), limit)
            return window[len(window) - count], count

    def clear(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)
            self._counters.pop(key, None)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with self._lock:
            self._sweep(now)
            count, until = self._counters.get(key, (0, 0.0))
            if until <= now:
                count, until = 0, now + expiry
            count += amount
            self._counters[key] = (count, until)
            return count


# KEYS: the steps' keys in order; ARGV: now, then per step its kind ("w": moving windows,
# "o": a one-time id) and key count, then (limit, seconds) per window key or the id's ttl.
# A windows step tests every window and, only if none is spent, adds `now` to each; a
# one-time id step counts the id (its ttl set on the first use). Stops at the first step
# that refuses: returns {step, window} (1-based; window 0 for a used id), or {0, 0}.
_CHAIN = """
local now = tonumber(ARGV[1])
local a, k = 2, 1
for step = 1, math.huge do
    local kind = ARGV[a]
    if not kind then
        return {0, 0}
    end
    local n = tonumber(ARGV[a + 1])
    a = a + 2
    if kind == 'o' then
        local uses = redis.call('incrby', KEYS[k], 1)
        if uses == 1 then
            redis.call('expire', KEYS[k], ARGV[a])
        end
        a, k = a + 1, k + 1
        if uses ~= 1 then
            return {step, 0}
        end
    else
        for i = 0, n - 1 do
            local limit = tonumber(ARGV[a + 2 * i])
            local entry = redis.call('lindex', KEYS[k + i], limit - 1)
            if entry and tonumber(entry) >= now - tonumber(ARGV[a + 2 * i + 1]) then
                return {step, i + 1}
            end
        end
        for i = 0, n - 1 do
            redis.call('lpush', KEYS[k + i], now)
            redis.call('ltrim', KEYS[k + i], 0, tonumber(ARGV[a + 2 * i]) - 1)
            redis.call('expire', KEYS[k + i], tonumber(ARGV[a + 2 * i + 1]))
        end
        a, k = a + 2 * n, k + n
    end
end
"""


@dataclass(frozen=True)
class Refused:
    """Which step of a chain refused (0-based) and, for limits, the Limited answer
    (None: a one-time id already used)."""

    step: int
    limited: Limited | None


class Throttle:
    """The store and the moving-window counting behind every hand-checked limit."""

    def _chain_script(self, store: Any) -> Any:
        """The one-round-trip script on a Redis store (None on any other store)."""
        if not (hasattr(store, "get_connection") and hasattr(store, "prefixed_key")):
            return None
        scripts = current_app.extensions.setdefault(_EXTENSION + "_scripts", {})
        if id(store) not in scripts:
            scripts[id(store)] = store.get_connection().register_script(_CHAIN)
        return scripts[id(store)]

    def init_app(self, app: Flask) -> None:
        uri = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
        store: Any
        if uri.startswith("memory://"):
            store = MemoryWindows()
        else:
            options = dict(app.config.get("RATELIMIT_STORAGE_OPTIONS") or {})
            store = storage_from_string(uri, **options)
            if not isinstance(store, MovingWindowSupport):
                raise RuntimeError(f"RATELIMIT_STORAGE_URI {uri.split(':')[0]}: no moving windows")
        app.extensions[_EXTENSION] = store

    @staticmethod
    def _store() -> Any:
        return current_app.extensions[_EXTENSION]

    @staticmethod
    def _windows(check: Check) -> list[tuple[str, int, int]]:
        """(store key, how many, seconds) for each window of a check."""
        prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or "campaign"
        base = "/".join((prefix, *check.key))
        return [
            (f"{base}/{item.amount}/{item.get_expiry()}", item.amount, item.get_expiry())
            for item in _parse(check.rates)
        ]

    @staticmethod
    def enabled() -> bool:
        """Limits are on unless RATELIMIT_ENABLED is false (one-time ids always work)."""
        return bool(current_app.config.get("RATELIMIT_ENABLED", True))

    def hit(self, *checks: Check) -> Limited | None:
        """Count this request against every check, or against none when one is spent.

        Every check is first tested, so a request refused by one limit does not use up
        another; then each is hit (atomically in the store), so concurrent requests
        cannot slip past a limit together.
        """
        if not checks or not self.enabled():
            return None
        refused = self.chain(checks)
        return None if refused is None else refused.limited

    def chain(self, *steps: Step) -> Refused | None:
        """Apply each step in order, stopping at the first that refuses: a tuple of checks
        is hit() (every window or none; passed while limits are off), a Once is
        first_use(). One round trip on Redis. A store that fails refuses nothing."""
        enabled = self.enabled()
        planned = [self._plan(step, enabled) for step in steps]
        if not any(planned):
            return None
        store = self._store()
        try:
            script = self._chain_script(store)
            if script is None:
                return self._chain_in(store, steps, planned)
            keys: list[str] = []
            args: list[Any] = [time.time()]
            for step, plan in zip(steps, planned, strict=True):
                keys += [store.prefixed_key(key) for _, key, _, _ in plan]
                args += ["o", 1, step.ttl] if isinstance(step, Once) else ["w", len(plan)]
                if not isinstance(step, Once):
                    for _, _, amount, seconds in plan:
                        args += [amount, seconds]
            index, window = (int(n) for n in script(keys=keys, args=args))
            if not index:
                return None
            if window == 0:
                return Refused(index - 1, None)
            check, key, amount, seconds = planned[index - 1][window - 1]
            assert check is not None
            return Refused(index - 1, self._limited(store, check.name, key, amount, seconds))
        except Exception as exc:  # the store is down: let the person through
            log.warning("rate-limit store failed (%s); request let through", type(exc).__name__)
        return None

    def _plan(self, step: Step, enabled: bool) -> list[tuple[Check | None, str, int, int]]:
        """(check, store key, how many, seconds) per window of a step (none while limits
        are off); a Once has one entry, its key (no check)."""
        if isinstance(step, Once):
            prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or "campaign"
            return [(None, f"{prefix}/once/{step.kind}/{step.one_time_id}", 1, step.ttl)]
        if not enabled:
            return []
        return [(check, *window) for check in step for window in self._windows(check)]

    def _chain_in(
        self, store: Any, steps: tuple[Step, ...], planned: list[list[Any]]
    ) -> Refused | None:
        """chain() on a store without scripts (MemoryWindows, or another limits store)."""
        for index, (step, plan) in enumerate(zip(steps, planned, strict=True)):
            if isinstance(step, Once):
                if store.incr(plan[0][1], step.ttl) != 1:
                    return Refused(index, None)
                continue
            for check, key, amount, seconds in plan:
                if store.get_moving_window(key, amount, seconds)[1] >= amount:
                    return Refused(index, self._limited(store, check.name, key, amount, seconds))
            for check, key, amount, seconds in plan:
                if not store.acquire_entry(key, amount, seconds):
                    return Refused(index, self._limited(store, check.name, key, amount, seconds))
        return None

    def clear(self, check: Check) -> None:
        """Forget what has been counted for a check's key."""
        if not self.enabled():
            return
        store = self._store()
        try:
            for key, _, _ in self._windows(check):
                store.clear(key)
        except Exception as exc:
            log.warning("rate-limit store failed (%s) on clear", type(exc).__name__)

    def first_use(self, kind: str, one_time_id: str, ttl: int) -> bool:
        """True the first time an id is presented within ttl seconds, False after that
        (a store that fails takes every id as fresh)."""
        return self.chain(Once(kind, one_time_id, ttl)) is None

    @staticmethod
    def _limited(store: Any, name: str, key: str, amount: int, seconds: int) -> Limited:
        start, _ = store.get_moving_window(key, amount, seconds)
        return Limited(name, max(1, math.ceil(start + seconds - time.time())))
