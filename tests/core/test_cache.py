"""The versioned cache: a slot's value is kept while its version is unchanged."""

from __future__ import annotations

import threading

import pytest
from flask import Flask

from campaign.core.cache import VersionedCache, app_cache


def test_a_value_is_returned_only_for_the_version_it_was_kept_for() -> None:
    cache: VersionedCache[str, str] = VersionedCache(4)
    cache.put("slot", 1, "one")
    assert cache.get("slot", 1) == "one"
    assert cache.get("slot", 2) is None
    assert cache.get("other", 1) is None
    assert cache.lookup("slot", 2) == (False, None)


def test_a_new_version_replaces_the_slot() -> None:
    cache: VersionedCache[str, str] = VersionedCache(4)
    cache.put("slot", ("a", 1), "old")
    cache.put("slot", ("a", 2), "new")
    assert len(cache) == 1
    assert cache.get("slot", ("a", 1)) is None
    assert cache.get("slot", ("a", 2)) == "new"


def test_the_least_recently_used_slot_goes_first() -> None:
    cache: VersionedCache[str, str] = VersionedCache(2)
    cache.put("a", 0, "A")
    cache.put("b", 0, "B")
    assert cache.get("a", 0) == "A"  # a is now the most recently used
    cache.put("c", 0, "C")
    assert len(cache) == 2
    assert cache.get("b", 0) is None
    assert cache.get("a", 0) == "A" and cache.get("c", 0) == "C"


def test_a_miss_on_another_version_does_not_refresh_the_slot() -> None:
    cache: VersionedCache[str, str] = VersionedCache(2)
    cache.put("a", 0, "A")
    cache.put("b", 0, "B")
    assert cache.get("a", 1) is None  # not a use of a's value
    cache.put("c", 0, "C")
    assert cache.get("a", 0) is None and cache.get("b", 0) == "B"


def test_get_or_compute_computes_once_per_version() -> None:
    cache: VersionedCache[int, list[int]] = VersionedCache(8)
    calls: list[int] = []

    def compute(version: int) -> list[int]:
        calls.append(version)
        return [version]

    first = cache.get_or_compute(7, 1, lambda: compute(1))
    assert cache.get_or_compute(7, 1, lambda: compute(1)) is first
    assert cache.get_or_compute(7, 2, lambda: compute(2)) == [2]
    assert calls == [1, 2]


def test_a_kept_none_is_a_hit() -> None:
    cache: VersionedCache[str, str | None] = VersionedCache(2)
    calls: list[str] = []

    def compute() -> None:
        calls.append("x")

    assert cache.get_or_compute("slot", 0, compute) is None
    assert cache.get_or_compute("slot", 0, compute) is None
    assert calls == ["x"]
    assert cache.lookup("slot", 0) == (True, None)


def test_a_failed_compute_keeps_nothing() -> None:
    cache: VersionedCache[str, str] = VersionedCache(2)

    def fail() -> str:
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError):
        cache.get_or_compute("slot", 0, fail)
    assert len(cache) == 0
    assert cache.get_or_compute("slot", 0, lambda: "fine") == "fine"


def test_clear_forgets_every_slot() -> None:
    cache: VersionedCache[str, str] = VersionedCache(2)
    cache.put("a", 0, "A")
    cache.clear()
    assert len(cache) == 0 and cache.get("a", 0) is None


@pytest.mark.parametrize("size", [0, -1])
def test_a_cache_needs_room_for_one_slot(size: int) -> None:
    with pytest.raises(ValueError, match="at least one slot"):
        VersionedCache(size)


def test_many_threads_share_one_cache() -> None:
    cache: VersionedCache[str, str] = VersionedCache(50)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for k in range(300):
                slot = f"slot-{(n * 7 + k) % 80}"
                version = k % 3
                value = cache.get_or_compute(slot, version, lambda s=slot, v=version: f"{s}@{v}")
                assert value == f"{slot}@{version}"
                found = cache.get(slot, version)
                assert found in (None, f"{slot}@{version}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(cache) <= 50


def test_each_app_has_its_own_caches() -> None:
    one, two = Flask("one"), Flask("two")
    with one.app_context():
        app_cache("figures", 4).put("slot", 0, "from one")
        assert app_cache("figures", 4) is app_cache("figures", 99)  # made once, size kept
        assert app_cache("figures", 4).size == 4
        assert app_cache("pages", 4).get("slot", 0) is None  # another name, another cache
    with two.app_context():
        assert app_cache("figures", 4).get("slot", 0) is None
    with one.app_context():
        assert app_cache("figures", 4).get("slot", 0) == "from one"
