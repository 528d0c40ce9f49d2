"""The development runner: links follow the address it serves, and the command it prints
for the first organizer works in a new terminal. (tests/core/test_readme.py runs it for
real through `make run`.)"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from campaign import REPO_ROOT, create_app
from campaign.config import SERVED_URL_FILE
from campaign.core import devserver
from campaign.core.urls import absolute_url
from campaign.extensions import db


@pytest.fixture
def dev_app(tmp_path: Path) -> Any:
    """A development app whose BASE_URL is unset, as after `make run` in a fresh clone."""
    made: list[Flask] = []

    def make(instance_config: str | None = 'ENV = "development"\n', **config: Any) -> Flask:
        instance = tmp_path / "instance"
        instance.mkdir(exist_ok=True)
        if instance_config is not None:
            (instance / "config.py").write_text(instance_config)
        app = create_app(
            {
                "ENV": "development",
                "INSTANCE_PATH": str(instance),
                "DATABASE_URL": f"sqlite:///{tmp_path}/dev.sqlite3",
                **config,
            }
        )
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 5001, "http://127.0.0.1:5001"),
        ("localhost", 8080, "http://localhost:8080"),
        ("::1", 5002, "http://[::1]:5002"),
        ("[::1]", 5003, "http://[::1]:5003"),
    ],
)
def test_link_address_is_where_the_server_is(host, port, expected):
    assert devserver.link_address(host, port) == expected


@pytest.mark.parametrize("host", ["0.0.0.0", "::", ""])
def test_a_wildcard_bind_links_to_this_machines_address(host):
    """Not http://0.0.0.0:... (which no other machine can open): the outward address."""
    url = devserver.link_address(host, 5004)
    address = devserver.outward_address()
    assert url in (f"http://{address}:5004", f"http://[{address}]:5004")
    assert "0.0.0.0" not in url
    socket.inet_aton(address)  # an IPv4 address


def test_serve_points_links_at_itself_and_records_the_address(dev_app, monkeypatch, capsys):
    app = dev_app()
    served: list[tuple[str, int]] = []

    def run_simple(host: str, port: int, *args: Any, **kwargs: Any) -> None:
        served.append((host, port))
        raise KeyboardInterrupt  # Ctrl-C at once

    monkeypatch.setattr("werkzeug.serving.run_simple", run_simple)
    devserver.serve(app, "127.0.0.1", 5005, with_scheduler=False)

    assert served == [("127.0.0.1", 5005)]
    assert app.config["BASE_URL"] == "http://127.0.0.1:5005"
    instance = Path(app.instance_path)
    assert (instance / SERVED_URL_FILE).read_text().strip() == "http://127.0.0.1:5005"
    with app.app_context():
        assert absolute_url("events.index").startswith("http://127.0.0.1:5005/")
    out = capsys.readouterr().out
    assert "Campaign site:   http://127.0.0.1:5005/" in out
    assert "\n    .venv/bin/flask --app campaign create-organizer" in out
    # The next process (a command in another terminal, the scheduler) builds the same links.
    assert dev_app().config["BASE_URL"] == "http://127.0.0.1:5005"


def test_a_base_url_that_is_set_is_kept_and_shown(dev_app, monkeypatch, capsys):
    app = dev_app(BASE_URL="https://tunnel.example.net")
    monkeypatch.setattr("werkzeug.serving.run_simple", _interrupted)
    devserver.serve(app, "127.0.0.1", 5006, with_scheduler=False)
    assert app.config["BASE_URL"] == "https://tunnel.example.net"
    assert not (Path(app.instance_path) / SERVED_URL_FILE).exists()
    assert "Links in mail:   https://tunnel.example.net" in capsys.readouterr().out


def test_the_hint_says_what_a_new_terminal_needs(dev_app, monkeypatch, capsys):
    """Without instance/config.py marking development, a new terminal would be production."""
    app = dev_app(instance_config=None)
    monkeypatch.setattr("werkzeug.serving.run_simple", _interrupted)
    devserver.serve(app, "127.0.0.1", 5007, with_scheduler=False)
    hint = "CAMPAIGN_ENV=development .venv/bin/flask --app campaign create-organizer"
    assert hint in capsys.readouterr().out


def test_the_port_must_be_a_real_port(tmp_path):
    result = subprocess.run(
        [str(Path(sys.prefix) / "bin" / "flask"), "--app", "campaign", "devserver", "--port", "0"],
        cwd=Path(__file__).resolve().parents[2],
        env={
            "PATH": "/usr/bin:/bin",
            "CAMPAIGN_ENV": "development",
            "CAMPAIGN_INSTANCE_PATH": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "--port" in result.stderr and "Traceback" not in result.stderr


def _interrupted(*args: Any, **kwargs: Any) -> None:
    raise KeyboardInterrupt


def test_once_an_organizer_exists_the_banner_says_where_to_sign_in(dev_app, monkeypatch, capsys):
    from campaign.organizers.services import create_organizer

    app = dev_app()
    with app.app_context():
        db.create_all()
        create_organizer("seeded@example.org", "Seeded", None)  # invited: cannot sign in
        db.session.commit()
    monkeypatch.setattr("werkzeug.serving.run_simple", _interrupted)
    devserver.serve(app, "127.0.0.1", 5008, with_scheduler=False)
    assert "No organizer yet?" in capsys.readouterr().out
    with app.app_context():
        create_organizer("first@example.org", "First", "a long passphrase", is_admin=True)
        db.session.commit()
    monkeypatch.setattr("werkzeug.serving.run_simple", _interrupted)
    devserver.serve(app, "127.0.0.1", 5008, with_scheduler=False)
    out = capsys.readouterr().out
    assert "Sign in at:      http://127.0.0.1:5008/manage/login" in out
    assert "No organizer yet?" not in out


def _scheduler_env(app: Flask, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment serve() would start the scheduler with (nothing is started)."""
    started: list[dict[str, str]] = []
    monkeypatch.setattr(devserver.subprocess, "Popen", lambda *a, env, **k: started.append(env))
    devserver._start_scheduler(app)
    return started[0]


def test_the_dev_scheduler_delivers_every_second(dev_app, monkeypatch):
    """A newcomer's mail is in instance/mail a second after they register, not five."""
    monkeypatch.delenv("CAMPAIGN_SCHEDULER_DELIVER_SECONDS", raising=False)
    env = _scheduler_env(dev_app(), monkeypatch)
    assert env["CAMPAIGN_SCHEDULER_DELIVER_SECONDS"] == "1"


@pytest.mark.parametrize("where", ["config", "environment"])
def test_a_delivery_interval_that_is_set_is_kept(dev_app, monkeypatch, where):
    """Set in instance/config.py (the app's config) or in the environment (which the
    scheduler reads too): the scheduler keeps it."""
    monkeypatch.delenv("CAMPAIGN_SCHEDULER_DELIVER_SECONDS", raising=False)
    if where == "environment":
        monkeypatch.setenv("CAMPAIGN_SCHEDULER_DELIVER_SECONDS", "3")
        env = _scheduler_env(dev_app(), monkeypatch)
        assert env["CAMPAIGN_SCHEDULER_DELIVER_SECONDS"] == "3"
    else:
        env = _scheduler_env(dev_app(SCHEDULER_DELIVER_SECONDS=3), monkeypatch)
        assert "CAMPAIGN_SCHEDULER_DELIVER_SECONDS" not in env


@pytest.mark.slow
def test_a_scheduler_whose_devserver_was_killed_stops_by_itself(dev_app, tmp_path):
    """SIGKILL (or a closed terminal) gives the server no chance to stop its scheduler:
    the scheduler notices that the server that started it is gone and stops cleanly."""
    app = dev_app()
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    log = tmp_path / "scheduler.log"
    # A stand-in for `make run`'s server: starts the scheduler as serve() does, then waits.
    parent_script = f"""
import sys, time
from campaign import create_app
from campaign.core import devserver
app = create_app({{"ENV": "development", "INSTANCE_PATH": {app.instance_path!r},
                  "DATABASE_URL": {app.config["DATABASE_URL"]!r}}})
with open({str(log)!r}, "wb") as out:
    import os
    os.dup2(out.fileno(), 2)  # the scheduler logs to the stderr it inherits
    child = devserver._start_scheduler(app)
print(child.pid, flush=True)
time.sleep(600)
"""
    env = {**os.environ, "CAMPAIGN_ENV": "development", "CAMPAIGN_INSTANCE_PATH": app.instance_path}
    env["CAMPAIGN_DATABASE_URL"] = app.config["DATABASE_URL"]
    parent = subprocess.Popen(
        [sys.executable, "-c", parent_script], env=env, stdout=subprocess.PIPE, cwd=REPO_ROOT
    )
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    try:
        poll_until(lambda: b"scheduler: started" in log.read_bytes(), 60, "the scheduler to start")
        parent.kill()
        parent.wait(10)
        poll_until(lambda: not _alive(child_pid), 30, "the orphaned scheduler to stop")
        text = log.read_text()
        assert "the development server that started it is gone; stopping" in text, text
        assert "scheduler: stopped" in text and "Traceback" not in text, text
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(10)
        parent.stdout.close()
        if _alive(child_pid):
            os.kill(child_pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    """Whether pid is a running (not a zombie) process."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def poll_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.1)
