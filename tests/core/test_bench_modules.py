"""Every benchmark `make bench` runs imports and has its main(): a helper one of them
borrows from another can be renamed away (bench/api.py once lost bench.pages._compare,
and `make bench` printed a crash instead of the API row)."""

from __future__ import annotations

import importlib

import pytest

from bench.run_all import BENCHMARKS


@pytest.mark.parametrize("name", BENCHMARKS)
def test_each_benchmark_imports_with_a_main(name: str) -> None:
    module = importlib.import_module(f"bench.{name}")
    assert callable(getattr(module, "main", None)), name
