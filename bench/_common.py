"""Helpers shared by the benchmarks: free ports, gunicorn processes, result tables."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
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


def wait_for(url: str, timeout: float = 120.0) -> None:
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
    """figure | ratio | target | result (PASS or FAIL; "info" for a row without a target,
    SKIP for one this machine cannot measure, its info saying why)."""
    print(f"{'figure':<72} {'ratio':>9} {'target':>9}  result")
    for figure, ratio, target, info, ok in rows:
        result = "PASS" if ok else "FAIL"
        if target == "-" and ok:
            result = "SKIP" if ratio == "-" else "info"
        print(f"{figure:<72} {ratio:>9} {target:>9}  {result}  {info}")


# --- wrk, the production set-up and worker memory ------------------------------------------------

WRK_THREADS = 2
WRK_CONNECTIONS = 32
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


class Skip(Exception):
    """A benchmark row that cannot run on this machine (the message says why)."""


@dataclass(frozen=True)
class WrkResult:
    """One wrk run: requests answered per second, latency percentiles in seconds."""

    rate: float
    requests: int
    p50: float
    p99: float
    bad: int  # socket errors and answers other than 2xx/3xx


def wrk_missing() -> str | None:
    """Why wrk cannot run here (None when it can)."""
    if shutil.which("wrk") is None:
        return "wrk is not installed (apt-get install wrk)"
    return None


def _seconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """The figures of `wrk --latency` output."""
    total = re.search(r"(\d+) requests in", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    if not (total and rate and p50 and p99):
        raise RuntimeError(f"unreadable wrk output:\n{output}")
    bad = 0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non2xx:
        bad += int(non2xx.group(1))
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if errors:
        bad += sum(int(n) for n in errors.groups())
    return WrkResult(
        float(rate.group(1)),
        int(total.group(1)),
        _seconds(p50.group(1)),
        _seconds(p99.group(1)),
        bad,
    )


def wrk(url: str, seconds: float, headers: dict[str, str] | None = None) -> WrkResult:
    """GET url with wrk (2 threads, 32 connections) for `seconds`, sending these headers."""
    command = [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{WRK_CONNECTIONS}",
        f"-d{seconds:g}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    result = subprocess.run([*command, url], capture_output=True, text=True, check=True)
    return parse_wrk(result.stdout)


def postgres_missing(admin_url: str) -> str | None:
    """Why the PostgreSQL server at admin_url cannot be used (None when it can)."""
    import psycopg

    try:
        with psycopg.connect(admin_url, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"no PostgreSQL at {admin_url} ({str(exc).strip().splitlines()[0]})"


def redis_missing(url: str) -> str | None:
    """Why the Redis at url cannot be used (None when it can)."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=3)
        client.ping()
        client.close()
        return None
    except redis.RedisError as exc:
        return f"no Redis at {url} ({exc})"


def production_missing() -> str | None:
    """Why the production set-up (PostgreSQL and Redis, BENCH_POSTGRES_URL and
    BENCH_REDIS_URL) cannot be benchmarked here, or None."""
    return postgres_missing(postgres_admin_url()) or redis_missing(redis_url())


def postgres_admin_url() -> str:
    return os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES)


def redis_url() -> str:
    return os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS)


@contextlib.contextmanager
def scratch_postgres(tag: str) -> Iterator[str]:
    """A new database on the BENCH_POSTGRES_URL server, dropped afterwards. Its name starts
    with BENCH_DATABASE_PREFIX (default campaign_bench).

    With BENCH_POSTGRES_SCHEMAS=1, a new schema inside BENCH_POSTGRES_URL's own database
    instead (the URL sets it as the search path), for a machine where one may use only that
    database; dropped afterwards all the same."""
    import psycopg

    admin = postgres_admin_url()
    prefix = os.environ.get("BENCH_DATABASE_PREFIX", "campaign_bench")
    name = f"{prefix}_{tag}_{uuid.uuid4().hex[:8]}"
    if os.environ.get("BENCH_POSTGRES_SCHEMAS", "") not in ("", "0"):
        create, drop = f'CREATE SCHEMA "{name}"', f'DROP SCHEMA IF EXISTS "{name}" CASCADE'
        separator = "&" if "?" in admin else "?"
        url = f"{admin}{separator}options=-csearch_path%3D{name}"
    else:
        create = f'CREATE DATABASE "{name}"'
        drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        url = admin.rpartition("/")[0] + "/" + name
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
        connection.execute(create)
    try:
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
            connection.execute(drop)


def production_env(tmp: str, database_url: str, **settings: str) -> dict[str, str]:
    """The README's production settings on loopback: PostgreSQL, Redis, production mode."""
    Path(f"{tmp}/instance").mkdir(exist_ok=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CAMPAIGN_") and k not in ("DATABASE_URL", "FLASK_APP")
    }
    return {
        **env,
        "CAMPAIGN_ENV": "production",
        "CAMPAIGN_SECRET_KEY": "bench-secret-key-" + "x" * 32,
        "CAMPAIGN_DATABASE_URL": database_url,
        "CAMPAIGN_BASE_URL": "https://campaign.example.org",
        "CAMPAIGN_RATELIMIT_STORAGE_URI": redis_url(),
        "CAMPAIGN_INSTANCE_PATH": f"{tmp}/instance",
        **{f"CAMPAIGN_{name}": value for name, value in settings.items()},
    }


def worker_pids(pid: int) -> list[int]:
    """The gunicorn master's worker processes."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


def _proportional_kib(pid: int) -> int:
    """A process's proportional set size (PSS, KiB): its own pages plus its share of each
    page it shares with other processes."""
    with contextlib.suppress(FileNotFoundError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def worker_memory(pid: int) -> float:
    """The memory a gunicorn worker costs the machine (MiB): the PSS of the master and its
    workers summed, divided by the number of workers. Pages the workers share (forked from a
    preloaded master) count once in all, not once per worker as RSS would count them."""
    workers = worker_pids(pid)
    if not workers:
        return 0.0
    total = sum(_proportional_kib(p) for p in [pid, *workers])
    return total / len(workers) / 1024


def worker_rss(pid: int) -> float:
    """Mean resident memory (RSS, MiB) of the gunicorn master's workers, shared pages counted
    in full in each."""
    sizes = []
    for worker in worker_pids(pid):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(f"/proc/{worker}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
    return sum(sizes) / len(sizes) if sizes else 0.0
