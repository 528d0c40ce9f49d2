"""The in-memory page store: slot -> (state, page), bounded, thread-safe."""

from __future__ import annotations

import threading

from campaign.core.cache import VersionedCache
from campaign.core.pagecache import MAX_PAGES


def test_a_page_is_served_only_in_the_state_it_was_rendered_in() -> None:
    store = VersionedCache[str, str](MAX_PAGES)
    store.put("slot", "state-1", "page one")
    assert store.get("slot", "state-1") == "page one"
    assert store.get("slot", "state-2") is None
    assert store.get("other", "state-1") is None


def test_a_new_state_replaces_the_slot() -> None:
    store = VersionedCache[str, str](MAX_PAGES)
    store.put("slot", "state-1", "old")
    store.put("slot", "state-2", "new")
    assert len(store) == 1
    assert store.get("slot", "state-1") is None
    assert store.get("slot", "state-2") == "new"


def test_the_least_recently_used_slot_goes_first() -> None:
    store = VersionedCache[str, str](2)
    store.put("a", "s", "A")
    store.put("b", "s", "B")
    assert store.get("a", "s") == "A"  # a is now the most recently used
    store.put("c", "s", "C")
    assert len(store) == 2
    assert store.get("b", "s") is None
    assert store.get("a", "s") == "A" and store.get("c", "s") == "C"


def test_many_threads_share_one_store() -> None:
    store = VersionedCache[str, str](50)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for k in range(300):
                slot = f"slot-{(n * 7 + k) % 80}"
                store.put(slot, "s", slot)
                found = store.get(slot, "s")
                assert found in (None, slot)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(store) <= 50
