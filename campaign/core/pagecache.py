"""Rendered public pages kept in memory per process, keyed by everything they show.

The event page and the listing are the pages every share link lands on. Rendering them
(macros, form widgets, card references, Markdown) costs several times more than the
queries they need, so each is rendered once per state of what it shows and then served
from memory. A page has a slot (which page: the event and the share code, the listing's
filters and page number) and a state (every column of the rows it shows, the counts and
time-dependent flags it prints). A hit needs the stored state to be equal to the current
one, so there is nothing to invalidate and a stale page cannot be served; a new state
replaces the slot's copy, so memory is bounded by the number of pages, not by how often
they change.

Per-visitor values (the CSRF token, the form's render time) are holes: they are cut out
of the stored copy and filled in on every hit. Pages with flashed messages or a submitted
form are never stored.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from flask import current_app, request, session
from sqlalchemy import inspect

MAX_PAGES = 512
_EXTENSION = "campaign_page_cache"


class PageCache:
    """A small thread-safe LRU of rendered pages: slot -> (state, page)."""

    def __init__(self, size: int = MAX_PAGES) -> None:
        self.size = size
        self._pages: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, slot: str, state: str) -> str | None:
        """The page stored for slot when it was rendered in this state."""
        with self._lock:
            found = self._pages.get(slot)
            if found is None or found[0] != state:
                return None
            self._pages.move_to_end(slot)
            return found[1]

    def put(self, slot: str, state: str, page: str) -> None:
        with self._lock:
            self._pages[slot] = (state, page)
            self._pages.move_to_end(slot)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def __len__(self) -> int:
        return len(self._pages)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


def row_state(row: Any) -> tuple[Any, ...] | None:
    """Every column value of an ORM row (None for no row): a row's part of a page key."""
    if row is None:
        return None
    mapper = inspect(type(row))
    return (mapper.class_.__name__, *(getattr(row, attr.key) for attr in mapper.column_attrs))


def state_columns(entity: Any) -> list[Any]:
    """The columns row_state reads, in its order, to select them with Core (a model or an
    aliased model), so that a page's state can be read without loading ORM objects."""
    info = inspect(entity)
    return [getattr(entity, attr.key) for attr in info.mapper.column_attrs]


def columns_state(entity: Any, values: Sequence[Any]) -> tuple[Any, ...] | None:
    """row_state of the row whose state_columns(entity) are `values` (None: no row, as an
    outer join gives it)."""
    info = inspect(entity)
    if all(value is None for value in values):
        return None
    return (info.mapper.class_.__name__, *values)


def _digest(parts: Iterable[Any]) -> str:
    return hashlib.blake2b(repr(tuple(parts)).encode(), digest_size=20).hexdigest()


def _placeholder(name: str) -> str:
    return f"\x00hole:{name}\x00"


def cache() -> PageCache:
    """This app's page cache."""
    return current_app.extensions.setdefault(_EXTENSION, PageCache())


def render_cached(
    slot: Iterable[Any],
    state: Iterable[Any],
    holes: dict[str, Callable[[], str]],
    render: Callable[[], str],
    keep: Callable[[], bool] = lambda: True,
) -> str:
    """The page for slot in this state: from memory, or render() once and keep it.

    keep() is asked after render(): False leaves this copy unstored (it was rendered from
    data read in another state than `state`).

    holes maps a name to a function returning this request's value of a per-visitor
    string that render() writes into the page as is (a CSRF token: URL-safe characters,
    which escaping leaves alone). It is cut out of the stored copy and filled in with the
    current value on every hit; a hole the page does not show is never asked for on a hit.
    """
    if "_flashes" in session or request.method != "GET":
        return render()
    slot_key = _digest((request.script_root, request.endpoint, *slot))
    state_key = _digest(state)
    store = cache()
    stored = store.get(slot_key, state_key)
    if stored is not None:
        page = stored
        for name, value in holes.items():
            placeholder = _placeholder(name)
            if placeholder in page:
                page = page.replace(placeholder, value())
        return page
    page = render()
    if "_flashes" in session or not keep():  # for this visitor only
        return page
    stored = page
    for name, value in holes.items():
        current = value()
        if current:
            stored = stored.replace(current, _placeholder(name))
    store.put(slot_key, state_key, stored)
    return page
