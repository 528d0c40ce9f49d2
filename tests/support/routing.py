"""Reuse werkzeug's compiled URL builders across the apps of a test run.

Every test builds a fresh app (the `app` fixture), and werkzeug compiles two URL-builder
functions for each of the app's ~120 routes by generating and compiling Python code: about
nine tenths of create_app's time. The generated code depends only on the rule's parsed
parts, the names of its defaults and whether unknown arguments are appended, so the same
rule in the next app gets the same function; a builder takes the rule (`self`) as its
argument and keeps no state, so sharing it between rules is safe. A rule whose defaults
fill one of its own variables has a converted value compiled in: that one is always
compiled afresh. tests/core/test_routing_cache.py checks that every builder of an app
equals a fresh compilation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule

Builder = Callable[..., tuple[str, str]]

_compile_builder = Rule._compile_builder
_builders: dict[tuple[Any, ...], Builder] = {}


def _cache_key(rule: Rule, append_unknown: bool) -> tuple[Any, ...] | None:
    """What the generated builder depends on, or None when it must be compiled afresh."""
    defaults = rule.defaults or {}
    trace = tuple(rule._trace)
    if any(is_dynamic and data in defaults for is_dynamic, data in trace):
        return None
    return (rule.rule, append_unknown, trace, tuple(str(name) for name in defaults))


def _cached_compile_builder(self: Rule, append_unknown: bool = True) -> Builder:
    key = _cache_key(self, append_unknown)
    if key is None:
        return _compile_builder(self, append_unknown)
    builder = _builders.get(key)
    if builder is None:
        builder = _builders[key] = _compile_builder(self, append_unknown)
    return builder


def install() -> None:
    """Compile each distinct URL builder once per process (idempotent)."""
    # A method replaced on the class, which is what this module is for.
    Rule._compile_builder = _cached_compile_builder  # type: ignore[method-assign]


def uncached_builder(rule: Rule, append_unknown: bool) -> Builder:
    """The builder werkzeug itself compiles for rule (for the test of this cache)."""
    return _compile_builder(rule, append_unknown)
