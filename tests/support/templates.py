"""Reuse compiled Jinja templates across the apps of a test run.

Every test builds a fresh app, and each app's Jinja environment compiles every template
it renders from source: in a test that requests a few pages, about a third of its time.
Jinja's own bytecode cache is made for this: the compiled code of a template is keyed by
its name and file, and used only while the source has the checksum it was compiled from.
As environments are created per app here, the key also holds everything of the
environment that the compiled code depends on (syntax, extensions, autoescaping of that
template, the call convention of each filter and test, compile-time policies), so an app
configured differently compiles its own. tests/core/test_template_cache.py checks that the
shared code equals a fresh compilation for every template.
"""

from __future__ import annotations

from types import CodeType
from typing import Any

from flask import Flask
from jinja2 import Environment
from jinja2.bccache import Bucket, BytecodeCache


def _calling(functions: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """Each filter's or test's name and what Jinja passes it first (context, environment...)."""
    return tuple(
        sorted(
            (name, repr(getattr(function, "jinja_pass_arg", None)))
            for name, function in functions.items()
        )
    )


def environment_key(environment: Environment, name: str) -> tuple[Any, ...]:
    """What of environment the code compiled for template `name` depends on."""
    autoescape = environment.autoescape
    return (
        environment.block_start_string,
        environment.block_end_string,
        environment.variable_start_string,
        environment.variable_end_string,
        environment.comment_start_string,
        environment.comment_end_string,
        environment.line_statement_prefix,
        environment.line_comment_prefix,
        environment.trim_blocks,
        environment.lstrip_blocks,
        environment.newline_sequence,
        environment.keep_trailing_newline,
        environment.optimized,
        environment.is_async,
        repr(environment.finalize),
        autoescape(name) if callable(autoescape) else autoescape,
        tuple(sorted(environment.extensions)),
        getattr(environment, "newstyle_gettext", None),
        environment.policies.get("compiler.ascii_str"),
        _calling(environment.filters),
        _calling(environment.tests),
        environment.code_generator_class,
    )


class SharedBytecodeCache(BytecodeCache):
    """Compiled templates in memory, shared by every environment of this process."""

    def __init__(self) -> None:
        self._code: dict[str, tuple[str, CodeType]] = {}

    def get_bucket(
        self, environment: Environment, name: str, filename: str | None, source: str
    ) -> Bucket:
        key = f"{self.get_cache_key(name, filename)}|{environment_key(environment, name)!r}"
        bucket = Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        found = self._code.get(bucket.key)
        if found is not None and found[0] == bucket.checksum:
            bucket.code = found[1]

    def dump_bytecode(self, bucket: Bucket) -> None:
        assert bucket.code is not None
        self._code[bucket.key] = (bucket.checksum, bucket.code)

    def clear(self) -> None:
        self._code.clear()


SHARED = SharedBytecodeCache()


def install() -> None:
    """Give every Flask app's Jinja environment the shared cache (idempotent)."""
    Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": SHARED}
