"""The suite's shared compiled templates (tests/support/templates.py) are the ones Jinja
compiles, and an app configured differently compiles its own."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from jinja2 import pass_context

from campaign import create_app
from tests.support import templates


def test_every_template_shared_equals_a_fresh_compilation(app: Flask, app_config: dict[str, Any]):
    other = create_app(app_config)
    environment = other.jinja_env
    loader = environment.loader
    assert loader is not None
    names = environment.list_templates()
    assert len(names) > 50
    for name in names:
        environment.get_template(name)  # compiled by the first app to load it, or here
        source, filename, _ = loader.get_source(environment, name)
        bucket = templates.SHARED.get_bucket(environment, name, filename, source)
        assert bucket.code is not None, name
        assert bucket.code == environment.compile(source, name, filename), name


def test_a_second_app_compiles_nothing_it_can_share(
    app: Flask, app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
):
    app.jinja_env.get_template("base.html")
    other = create_app(app_config)
    compiled: list[str | None] = []
    compile_template = type(other.jinja_env).compile

    def counting(self: Any, source: str, name: str | None = None, *args: Any) -> Any:
        compiled.append(name)
        return compile_template(self, source, name, *args)

    monkeypatch.setattr(type(other.jinja_env), "compile", counting)
    assert other.jinja_env.get_template("base.html") is not None
    assert compiled == []


def test_a_differently_configured_environment_compiles_its_own(
    app: Flask, app_config: dict[str, Any]
):
    app.jinja_env.get_template("base.html")
    other = create_app(app_config)
    other.jinja_env.trim_blocks = True
    key = templates.environment_key(app.jinja_env, "base.html")
    assert templates.environment_key(other.jinja_env, "base.html") != key
    other.jinja_env.trim_blocks = False
    assert templates.environment_key(other.jinja_env, "base.html") == key
    # A filter that now takes the context is called differently by the compiled code.
    other.jinja_env.filters["markdown"] = pass_context(lambda context, value: value)
    assert templates.environment_key(other.jinja_env, "base.html") != key
