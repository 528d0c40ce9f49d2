"""The pieces that make the suite safe to run on several pytest-xdist workers
(tests/support/parallel.py): per-worker PostgreSQL databases and the server lock that keeps
the PostgreSQL restart test alone."""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import require_postgres
from tests.support import parallel
from tests.support.polling import holds_for, wait_until


def test_a_worker_database_is_the_shared_name_plus_the_worker_id() -> None:
    url = "postgresql+psycopg://user:secret@db.example:5433/campaign_test?sslmode=disable"
    own = make_url(parallel.worker_database_url(url, "gw3"))
    assert own.database == "campaign_test_gw3"
    assert (own.drivername, own.username, own.password) == ("postgresql+psycopg", "user", "secret")
    assert (own.host, own.port, dict(own.query)) == ("db.example", 5433, {"sslmode": "disable"})


def test_a_url_without_a_database_is_refused_with_a_message() -> None:
    with pytest.raises(ValueError, match="names no database"):
        parallel.worker_database_url("postgresql://postgres@127.0.0.1:5432", "gw0")


def _exists(server: str, name: str) -> bool:
    with psycopg.connect(server, autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


def test_a_worker_database_is_created_empty_and_dropped() -> None:
    server = make_url(require_postgres()).set(drivername="postgresql")
    shared = server.set(database=f"campaign_par_{uuid.uuid4().hex[:8]}")
    own_url = parallel.worker_database_url(shared.render_as_string(hide_password=False), "gw7")
    own = make_url(own_url).database
    admin = server.render_as_string(hide_password=False)
    try:
        parallel.create_database(admin, own_url)
        assert _exists(admin, own)
        with psycopg.connect(own_url) as conn:
            conn.execute("CREATE TABLE left_over (id integer)")
        parallel.create_database(admin, own_url)  # a crashed run's database is replaced
        with psycopg.connect(own_url) as conn:
            tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            assert tables.fetchone() == (0,)
    finally:
        parallel.drop_database(admin, own_url)
    assert not _exists(admin, own)


class Holder(threading.Thread):
    """Holds the server lock (shared or exclusive) from start until release()."""

    def __init__(self, directory: Path, exclusive: bool) -> None:
        super().__init__(daemon=True)
        self.directory, self.exclusive = directory, exclusive
        self.holding = threading.Event()
        self._release = threading.Event()

    def run(self) -> None:
        with parallel.server_lock(self.directory, exclusive=self.exclusive):
            self.holding.set()
            self._release.wait(30)

    def release(self) -> None:
        self._release.set()
        self.join(10)
        assert not self.is_alive()


def test_shared_holders_run_together_and_the_exclusive_one_runs_alone(tmp_path: Path) -> None:
    first, second = Holder(tmp_path, False), Holder(tmp_path, False)
    first.start()
    second.start()
    wait_until(lambda: first.holding.is_set() and second.holding.is_set(), 10, "both shared")

    restart = Holder(tmp_path, True)
    restart.start()
    holds_for(lambda: not restart.holding.is_set(), 0.3, "the exclusive holder waiting")
    # A test that starts now waits behind the exclusive request instead of starving it.
    late = Holder(tmp_path, False)
    late.start()
    first.release()
    holds_for(lambda: not restart.holding.is_set(), 0.3, "the exclusive holder waiting")
    second.release()
    wait_until(restart.holding.is_set, 10, "the exclusive holder")
    holds_for(lambda: not late.holding.is_set(), 0.3, "the late shared holder waiting")
    restart.release()
    wait_until(late.holding.is_set, 10, "the late shared holder")
    late.release()


def test_the_lock_is_only_taken_in_a_parallel_run_that_restarts_postgres(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    monkeypatch.setenv("CAMPAIGN_TEST_RESTART_POSTGRES", "1")
    assert parallel.restart_lock_wanted()
    monkeypatch.setenv("CAMPAIGN_TEST_RESTART_POSTGRES", "0")
    assert not parallel.restart_lock_wanted()
    monkeypatch.setenv("CAMPAIGN_TEST_RESTART_POSTGRES", "1")
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    assert not parallel.restart_lock_wanted()


def test_auto_gives_a_worker_per_cpu_and_one_more_up_to_the_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests import conftest

    monkeypatch.delenv("PYTEST_XDIST_AUTO_NUM_WORKERS", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(2)), raising=False)
    assert conftest.pytest_xdist_auto_num_workers(pytest.Config) == 3
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert conftest.pytest_xdist_auto_num_workers(pytest.Config) == 2
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    assert conftest.pytest_xdist_auto_num_workers(pytest.Config) == conftest.MAX_WORKERS
    monkeypatch.setenv("PYTEST_XDIST_AUTO_NUM_WORKERS", "3")
    assert conftest.pytest_xdist_auto_num_workers(pytest.Config) == 3


class _Item:
    """What the collection hook reads of a test item: its module and its marks."""

    def __init__(self, name: str, module: str, marks: tuple[str, ...] = ()) -> None:
        self.name, self.module, self.marks = name, module, marks

    def get_closest_marker(self, name: str) -> object:
        return name if name in self.marks else None


def test_modules_with_slow_or_browser_tests_run_first_whole_and_in_order() -> None:
    from tests import conftest

    items = [
        _Item("a1", "a"),
        _Item("b1", "b"),
        _Item("b2", "b", ("slow",)),
        _Item("c1", "c"),
        _Item("d1", "d", ("browser",)),
        _Item("d2", "d", ("browser",)),
        _Item("e1", "e"),
    ]
    conftest.pytest_collection_modifyitems(items)  # type: ignore[arg-type]
    assert [item.name for item in items] == ["b1", "b2", "d1", "d2", "a1", "c1", "e1"]
