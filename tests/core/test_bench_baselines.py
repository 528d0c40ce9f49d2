"""The bench's bare Flask-SQLAlchemy baseline answers the cold start's page from its
database, and the cold start measures it on a database of the setting's own kind."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from bench import pages


@pytest.fixture
def baseline_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BASELINE_DATABASE_URL", f"sqlite:///{tmp_path}/baseline.sqlite3")
    monkeypatch.setenv("BASELINE_FORM_BYTES", "14000")
    module = importlib.import_module("bench.baseline_app")
    return module, module.create_app()


def test_the_read_page_shows_rows_read_from_the_database(baseline_app) -> None:  # type: ignore[no-untyped-def]
    module, app = baseline_app
    client = app.test_client()
    empty = client.get("/read/page")
    assert empty.status_code == 200
    with app.app_context():
        module.db.session.add(module.Row(name="Read Back Person", email="r@example.org"))
        module.db.session.commit()
    page = client.get("/read/page")
    assert page.status_code == 200
    assert "Read Back Person" in page.text
    # About the size of the event page it stands in for, as the render baseline's page.
    assert abs(len(empty.data) - 14000) < 14000 * pages.SIZE_TOLERANCE


def test_the_read_page_fails_without_its_table(baseline_app) -> None:  # type: ignore[no-untyped-def]
    module, app = baseline_app
    with app.app_context():
        module.db.drop_all()
    app.testing = False
    assert app.test_client().get("/read/page").status_code == 500


def test_the_embedded_setting_reads_from_a_sqlite_file_beside_the_app(tmp_path: Path) -> None:
    with pages.baseline_database("embedded", str(tmp_path)) as url:
        assert url == f"sqlite:///{tmp_path}/baseline.sqlite3"
