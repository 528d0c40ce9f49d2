"""The app under gunicorn, as production runs it, for tests that need real worker processes.

A test writes a small instance config, builds the schema with `flask db upgrade` (the real
migrations), starts `gunicorn -w N 'campaign:create_app()'` on a free loopback port, waits
for /healthz and stops the server (and only it) afterwards.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRET_KEY = "gunicorn-test-secret-key-not-for-production"
BASE_URL = "https://campaign.example.org"


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(instance: Path) -> None:
    """instance/config.py: the settings a deployment would keep there."""
    instance.mkdir(parents=True, exist_ok=True)
    (instance / "config.py").write_text(
        f"BASE_URL = {BASE_URL!r}\n"
        "MAIL_BACKEND = 'file'\n"
        f"MAIL_FILE_DIR = {str(instance / 'mail')!r}\n"
    )


def app_env(instance: Path, database_url: str, **settings: str) -> dict[str, str]:
    """The process environment: this machine's, minus any CAMPAIGN_*, plus the test's."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CAMPAIGN_") and k not in ("DATABASE_URL", "FLASK_APP")
    }
    env.update(
        {
            "CAMPAIGN_ENV": "testing",
            "CAMPAIGN_SECRET_KEY": SECRET_KEY,
            "CAMPAIGN_DATABASE_URL": database_url,
            "CAMPAIGN_INSTANCE_PATH": str(instance),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.update({f"CAMPAIGN_{k}": v for k, v in settings.items()})
    return env


def flask(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    """Run `flask --app campaign ...` with env; its output, or a failure that shows it."""
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "campaign", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"flask {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result.stdout + result.stderr


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, chars: int = 6000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return ""


def _wait_until_healthy(server: Server, deadline: float) -> None:
    last = ""
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"gunicorn exited early:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last = repr(exc)
        time.sleep(0.2)
    raise AssertionError(f"gunicorn did not become healthy ({last}):\n{server.log_tail()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the gunicorn master we started and its workers (its own process group)."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


@contextmanager
def gunicorn(env: dict[str, str], log: Path, workers: int = 4) -> Iterator[Server]:
    """gunicorn serving campaign:create_app() on a free port until the block ends."""
    port = free_port()
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "120",
                "--graceful-timeout",
                "5",
                "--backlog",
                "512",
                "campaign:create_app()",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        server = Server(f"http://127.0.0.1:{port}", process, log)
        try:
            _wait_until_healthy(server, time.monotonic() + 60)
            yield server
        finally:
            _stop(process)
