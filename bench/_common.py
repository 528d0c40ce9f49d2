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


@contextlib.contextmanager
def gunicorn(app_spec: str, env: dict[str, str], workers: int = 4, health: str = "/healthz"
             ) -> Iterator[str]:
    """Run `gunicorn app_spec` on a free loopback port; yields the base URL."""
    port = free_port()
    full_env = {**os.environ, **env, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", app_spec],
        cwd=REPO, env=full_env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + health)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def print_table(rows: list[tuple[str, str, str, str, bool]]) -> None:
    """figure | ratio | target | pass/fail."""
    print(f"{'figure':<58} {'ratio':>9} {'target':>9}  result")
    for figure, ratio, target, info, ok in rows:
        print(f"{figure:<58} {ratio:>9} {target:>9}  {'PASS' if ok else 'FAIL'}  {info}")
