"""Helpers shared by the benchmarks: free ports, gunicorn processes, result tables."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def site_env(tmp: str, **settings: str) -> dict[str, str]:
    """The environment of an app on a fresh SQLite database and instance folder in tmp
    (the folder is created), with extra CAMPAIGN_* settings."""
    Path(f"{tmp}/instance").mkdir(exist_ok=True)
    return {
        **os.environ,
        "CAMPAIGN_ENV": "development",
        "CAMPAIGN_SECRET_KEY": "bench-secret-key-" + "x" * 32,
        "CAMPAIGN_DATABASE_URL": f"sqlite:///{tmp}/campaign.sqlite3",
        "CAMPAIGN_INSTANCE_PATH": f"{tmp}/instance",
        **{f"CAMPAIGN_{name}": value for name, value in settings.items()},
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not come up")


class Server(str):
    """A running server's base URL (the string) and its master process id."""

    pid: int

    def __new__(cls, url: str, pid: int) -> Server:
        self = super().__new__(cls, url)
        self.pid = pid
        return self

    def cpu(self) -> float:
        return process_tree_cpu(self.pid)


@contextlib.contextmanager
def gunicorn(
    app_spec: str, env: dict[str, str], workers: int = 4, health: str = "/healthz"
) -> Iterator[Server]:
    """Run `gunicorn app_spec` on a free loopback port; yields its URL (and pid)."""
    port = free_port()
    full_env = {**os.environ, **env, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "120",
            app_spec,
        ],
        cwd=REPO,
        env=full_env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + health)
        yield Server(base, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by pid and its children (gunicorn workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    children_file = Path(f"/proc/{pid}/task/{pid}/children")
    if children_file.exists():
        pids += [int(p) for p in children_file.read_text().split()]
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def print_table(rows: list[tuple[str, str, str, str, bool]]) -> None:
    """figure | ratio | target | pass/fail."""
    print(f"{'figure':<58} {'ratio':>9} {'target':>9}  result")
    for figure, ratio, target, info, ok in rows:
        print(f"{figure:<58} {ratio:>9} {target:>9}  {'PASS' if ok else 'FAIL'}  {info}")
