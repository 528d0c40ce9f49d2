"""The renderer's boundary: campaign.cardrender stays pure, and the app uses only its public API.

Every import is read from the source with ast, at any depth (lazy imports inside functions
and `if TYPE_CHECKING:` blocks count), with relative imports resolved to full names.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import campaign
from campaign import cardrender

PACKAGE = "campaign.cardrender"
CAMPAIGN_DIR = Path(campaign.__file__).resolve().parent
DYNAMIC = "<dynamic import>"


def package_modules(package: str) -> dict[str, Path]:
    """Every module of a package, found the way the import system finds them: name -> file."""
    found = {package: Path(importlib.import_module(package).__file__ or "")}
    for info in pkgutil.walk_packages(importlib.import_module(package).__path__, package + "."):
        spec = importlib.util.find_spec(info.name)
        assert spec is not None and spec.origin is not None, info.name
        found[info.name] = Path(spec.origin)
    return found


def _imports(source: str, module: str, is_package: bool) -> Iterator[tuple[int, str, str]]:
    """(line, base module, imported name or "") for every import; relative ones resolved."""
    here = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, ""
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = importlib.util.resolve_name("." * node.level + (node.module or ""), here)
            else:
                base = node.module or ""
            for alias in node.names:
                yield node.lineno, base, alias.name
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__"):
                yield node.lineno, DYNAMIC, ""


def _why_impure(name: str) -> str | None:
    """Why the renderer may not import the module `name`, or None when it may."""
    if name == DYNAMIC:
        return "imports by name at run time (cannot be checked)"
    parts = name.split(".")
    if parts[0] in ("flask", "sqlalchemy", "werkzeug") or parts[0].startswith("flask_"):
        return "is part of the web framework or the database layer"
    if parts[0] == "campaign" and parts[:2] != ["campaign", "cardrender"]:
        return "is app code outside the renderer (extensions, models, services...)"
    if "models" in parts:
        return "is a model"
    return None


def impure_imports(source: str, module: str, is_package: bool = False) -> list[str]:
    """Every import in a renderer module that would tie it to Flask, the database or the app."""
    problems = []
    for line, base, name in _imports(source, module, is_package):
        for full in (base, f"{base}.{name}" if name and name != "*" else base):
            why = _why_impure(full)
            if why is not None:
                problems.append(f"{module}:{line} {full} {why}")
                break
    return problems


def private_renderer_imports(source: str, module: str, is_package: bool = False) -> list[str]:
    """Imports that reach past campaign.cardrender's public API (its __init__ and __all__)."""
    problems = []
    for line, base, name in _imports(source, module, is_package):
        if base.startswith(PACKAGE + "."):
            problem = f"{module}:{line} imports {base}"
            if problem not in problems:
                problems.append(problem)
        elif base == PACKAGE and name not in cardrender.__all__:
            problems.append(f"{module}:{line} imports {name} from {PACKAGE} (not in __all__)")
    return problems


def _module_name(path: Path) -> tuple[str, bool]:
    relative = path.relative_to(CAMPAIGN_DIR.parent).with_suffix("")
    parts = relative.parts
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


# --- The renderer is pure -----------------------------------------------------------------------


def test_every_renderer_module_is_found() -> None:
    modules = package_modules(PACKAGE)
    for name in (
        PACKAGE,
        f"{PACKAGE}.rendering",
        f"{PACKAGE}.text",
        f"{PACKAGE}.text.fonts",
        f"{PACKAGE}.text.fitting",
        f"{PACKAGE}.kinds",
        f"{PACKAGE}.kinds.myth_fact",
    ):
        assert name in modules
    on_disk = {p.resolve() for p in (CAMPAIGN_DIR / "cardrender").rglob("*.py")}
    assert {p.resolve() for p in modules.values()} == on_disk


def test_renderer_imports_no_flask_database_or_app_code() -> None:
    problems = []
    for name, path in package_modules(PACKAGE).items():
        source = path.read_text(encoding="utf-8")
        problems += impure_imports(source, name, is_package=path.name == "__init__.py")
    assert problems == []


@pytest.mark.parametrize(
    "source",
    [
        "from flask import g",
        "def f():\n    from flask import current_app\n    return current_app",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from flask import Flask",
        "import flask_login",
        "import sqlalchemy.orm as orm",
        "from sqlalchemy import select",
        "from werkzeug.exceptions import NotFound",
        "from campaign.extensions import db",
        "from campaign import extensions",
        "def f():\n    from campaign.graphics.models import FactCard",
        "from campaign.graphics import models",
        "from ...graphics.models import CardRender",
        "from ... import extensions",
        "import campaign.events.services",
        "import importlib\nflask = importlib.import_module('flask')",
        "models = __import__('campaign.graphics.models')",
    ],
)
def test_impure_imports_are_caught(source: str) -> None:
    assert impure_imports(source, f"{PACKAGE}.kinds.example") != []


@pytest.mark.parametrize(
    "source",
    [
        "from ..text.fonts import BOLD",
        "from . import fonts",
        "from PIL import Image, ImageDraw",
        "import uharfbuzz as hb",
        "def f():\n    from ..alt import alt_text",
        "from campaign.cardrender.specs import Theme",
    ],
)
def test_pure_imports_pass(source: str) -> None:
    assert impure_imports(source, f"{PACKAGE}.kinds.example") == []


# --- The rest of the app uses the public API only ----------------------------------------------


def test_app_imports_only_the_public_api() -> None:
    problems = []
    for path in sorted(CAMPAIGN_DIR.rglob("*.py")):
        if (CAMPAIGN_DIR / "cardrender") in path.parents:
            continue
        name, is_package = _module_name(path)
        problems += private_renderer_imports(path.read_text(encoding="utf-8"), name, is_package)
    assert problems == []


def test_public_api_names_exist() -> None:
    for name in cardrender.__all__:
        assert hasattr(cardrender, name), name


@pytest.mark.parametrize(
    "source",
    [
        "from campaign.cardrender.specs import Theme",
        "from campaign.cardrender.text import fonts",
        "import campaign.cardrender.rendering",
        "from campaign.cardrender import plan",
        "def f():\n    from campaign.cardrender.contrast import MIN_TEXT_CONTRAST",
        "from ..cardrender.kinds import myth_fact",
    ],
)
def test_private_renderer_imports_are_caught(source: str) -> None:
    assert private_renderer_imports(source, "campaign.graphics.example") != []


@pytest.mark.parametrize(
    "source",
    [
        "from campaign.cardrender import Theme, render",
        "from campaign import cardrender",
        "from campaign import cardrender as render",
        "def f():\n    from campaign.cardrender import MIN_TEXT_CONTRAST",
    ],
)
def test_public_api_imports_pass(source: str) -> None:
    assert private_renderer_imports(source, "campaign.graphics.example") == []


# --- Drawing names load on first use -----------------------------------------------------------

DRAWING_LIBRARIES = ("PIL", "uharfbuzz", "segno")


def _run_fresh(code: str) -> str:
    """Run code in a new interpreter (this one has Pillow loaded already); its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.strip()


def test_importing_the_api_loads_no_drawing_library() -> None:
    code = (
        "import sys\n"
        "from campaign import cardrender\n"
        "card = cardrender.EventCard('Day', 'Sat 3 pm', 'Hall', 'Campaign', '#day', 'https://x.org')\n"
        "cardrender.cache_key(card, 'square')\n"
        f"print([m for m in {DRAWING_LIBRARIES!r} if m in sys.modules])"
    )
    assert _run_fresh(code) == "[]"


@pytest.mark.parametrize(
    "first", ["", "import campaign.cardrender.alt", "import campaign.cardrender.rendering"]
)
def test_drawing_names_are_the_functions_whatever_was_imported_first(first: str) -> None:
    """A submodule's import sets the package attribute of its name: none may shadow an API
    name, whichever module a process happened to import first."""
    code = (
        f"{first}\n"
        "from campaign import cardrender\n"
        "from campaign.cardrender import alt, kinds, rendering\n"
        "from campaign.cardrender.text import fonts\n"
        "print(all(getattr(cardrender, n) is getattr(m, n) for m in (alt, kinds, rendering, fonts)"
        " for n in cardrender._DRAWING if hasattr(m, n) and not n.startswith('_')))\n"
        "print(sorted(n for n in cardrender.__all__ if not hasattr(cardrender, n)))"
    )
    assert _run_fresh(code).splitlines() == ["True", "[]"]


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'rendr'"):
        cardrender.rendr  # noqa: B018


# --- The web feature's card store is plain files ------------------------------------------------


def test_card_store_does_not_import_flask() -> None:
    for module in ("campaign.graphics", "campaign.graphics.storage"):
        spec = importlib.util.find_spec(module)
        assert spec is not None and spec.origin is not None
        source = Path(spec.origin).read_text(encoding="utf-8")
        names = [base for _, base, _ in _imports(source, module, module == "campaign.graphics")]
        assert not any(n.split(".")[0] in ("flask", "flask_sqlalchemy") for n in names), module


def test_the_services_package_re_exports_nothing() -> None:
    """Callers import a use case from the module that holds it, never through a facade."""
    spec = importlib.util.find_spec("campaign.graphics.services")
    assert spec is not None and spec.origin is not None
    source = Path(spec.origin).read_text(encoding="utf-8")
    assert list(_imports(source, "campaign.graphics.services", True)) == []
