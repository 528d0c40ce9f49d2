"""The development runner behind `make run`: werkzeug's server and one scheduler process.

Links follow the served address: unless BASE_URL is set, the runner points the app's
links at itself and records the address in the instance folder, so the scheduler and any
`flask` command run later in another terminal build the same links. Ctrl-C or SIGTERM
stops the server, then asks the scheduler to stop and waits for it: the scheduler ends
the message it is sending and gives the rest of its claim back at once.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
from flask import Config, Flask

from campaign.config import DEFAULTS, SERVED_URL_FILE

log = logging.getLogger(__name__)

FLASK_COMMAND = ".venv/bin/flask --app campaign"


# How often the scheduler beside the development server delivers the outbox, unless the
# interval is set: a mail written to instance/mail is there as soon as you look for it
# (the default, 5 s, is for a production scheduler's database).
DEV_DELIVER_SECONDS = 1
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})  # noqa: S104  # nosec B104 - names to compare with, nothing is bound


def link_address(host: str, port: int) -> str:
    """The http address of a server bound to host:port; for a wildcard bind (every
    interface), this machine's address on its default route."""
    host = host.strip("[]")
    if host in WILDCARD_HOSTS:
        host = outward_address()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def outward_address() -> str:
    """This machine's IPv4 address on its default route, or 127.0.0.1 without one."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1; a UDP connect sends nothing
            return str(probe.getsockname()[0])
    except OSError:
        return "127.0.0.1"


def record_served_address(instance_path: str, url: str) -> None:
    """Keep the served address in instance/ for the processes that build links later."""
    path = Path(instance_path) / SERVED_URL_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(url + "\n")


def fresh_terminal_env(instance_path: str) -> str:
    """The ENV a `flask` command gets in a new terminal: instance/config.py or the default."""
    config = Config(instance_path)
    config.from_pyfile("config.py", silent=True)
    return str(config.get("ENV") or DEFAULTS["ENV"]).lower()


def banner(app: Flask, url: str, has_organizer: bool = False) -> str:
    """What `make run` prints: the addresses, where mail goes, and how to add the first
    organizer (or, once there is one, where to sign in)."""
    config = app.config
    mail_dir = config.get("MAIL_FILE_DIR") or os.path.join(app.instance_path, "mail")
    mail = f"{config['MAIL_BACKEND']} backend"
    if config["MAIL_BACKEND"] == "file":
        mail += f", written to {mail_dir}"
    command = f"{FLASK_COMMAND} create-organizer --email you@example.org --admin"
    if fresh_terminal_env(app.instance_path) != config["ENV"]:
        command = f"CAMPAIGN_ENV={config['ENV']} {command}"
    lines = [
        "",
        f"  Campaign site:   {url}/",
        f"  Organizer side:  {url}/manage/",
        f"  Mail:            {mail}",
    ]
    if config["BASE_URL"] != url:
        lines.append(f"  Links in mail:   {config['BASE_URL']} (CAMPAIGN_BASE_URL)")
    if has_organizer:
        lines.append(f"  Sign in at:      {url}/manage/login")
    else:
        lines += [
            "  No organizer yet? Create the first admin in another terminal:",
            f"    {command}",
        ]
    lines += [
        "  Press Ctrl-C to stop the server and the scheduler.",
        "",
    ]
    return "\n".join(lines)


def serve(app: Flask, host: str, port: int, with_scheduler: bool = True) -> None:
    """Serve app on host:port (and run one scheduler beside it) until Ctrl-C or SIGTERM."""
    from werkzeug.serving import run_simple

    url = link_address(host, port)
    if app.config["BASE_URL_FOLLOWS_SERVER"]:
        app.config["BASE_URL"] = url
        record_served_address(app.instance_path, url)
    scheduler = None
    # SIGTERM stops the server as Ctrl-C does: werkzeug ends serve_forever on either.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        if with_scheduler:
            scheduler = _start_scheduler(app)
        click.echo(banner(app, url, _has_organizer(app)))
        # Not app.run(): Flask refuses to block inside a `flask` command.
        run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
    except KeyboardInterrupt:
        pass  # stopped before the server was listening; werkzeug handles it afterwards
    finally:
        signal.signal(signal.SIGTERM, previous)
        if scheduler is not None:
            _stop_scheduler(scheduler, float(app.config.get("SMTP_TIMEOUT") or 20) + 10)


def _has_organizer(app: Flask) -> bool:
    """Whether someone can sign in: an enabled organizer with a password (the demo seed's
    team account has neither). The banner then says where to sign in."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from campaign.extensions import db
    from campaign.organizers.models import Organizer

    with app.app_context():
        try:
            found = select(Organizer.id).where(
                Organizer.is_enabled, Organizer.password_hash.is_not(None)
            )
            return db.session.scalar(found.limit(1)) is not None
        except SQLAlchemyError:  # no tables yet: certainly no organizer
            return False


def _interrupt(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def _start_scheduler(app: Flask) -> subprocess.Popen[bytes]:
    """`flask --app campaign scheduler` in its own process group, with this app's links,
    delivering every DEV_DELIVER_SECONDS unless the app's interval is set.

    Its own group: Ctrl-C in the terminal reaches only this process, which then stops
    the scheduler with one SIGTERM (two would make it exit without finishing).
    """
    from campaign.scheduler import DEVSERVER_PID_VARIABLE

    env = {
        **os.environ,
        "CAMPAIGN_ENV": app.config["ENV"],
        DEVSERVER_PID_VARIABLE: str(os.getpid()),
    }
    if app.config["BASE_URL_FOLLOWS_SERVER"]:
        env["CAMPAIGN_BASE_URL"] = app.config["BASE_URL"]
    if app.config["SCHEDULER_DELIVER_SECONDS"] == DEFAULTS["SCHEDULER_DELIVER_SECONDS"]:
        env.setdefault("CAMPAIGN_SCHEDULER_DELIVER_SECONDS", str(DEV_DELIVER_SECONDS))
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "campaign", "scheduler"],
        env=env,
        process_group=0,
    )


def _stop_scheduler(process: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM, then wait for the clean stop; another Ctrl-C or SIGTERM hurries it."""

    def hurry(signum: int, _frame: Any) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)

    handlers = {sig: signal.signal(sig, hurry) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.warning("devserver: the scheduler did not stop in %.0f s; killing it", timeout)
            process.kill()
            process.wait()
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
