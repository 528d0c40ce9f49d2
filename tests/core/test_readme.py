"""The README, as a newcomer follows it: every command in it works as written.

Each ```sh block in README.md has a marker in an HTML comment on the line above it:

    <!-- readme-test: run -->                      every line is run, in order
    <!-- readme-test: run; check-only: make test --> the same, except lines starting so
    <!-- readme-test: check -->                    parsed and checked, not run

"Run" means: in a copy of the repository (what `git ls-files` lists, with the test's
virtualenv standing in for `.venv`, which make would otherwise build from the package
registry), by `bash -c` with nothing in the environment but HOME and PATH, as in a new
terminal. `make run` lines start the server in the background and are followed by what a
newcomer does next: open the site, register for an event, and read the mail that comes.
Ports are the one thing the test changes: a bare `make run` gets a free port through the
PORT variable the Makefile reads, and a `PORT=NNNN` in the README becomes another free
port; links must then point at that port. A server is stopped as a person would stop
it: Ctrl-C (SIGINT to its process group) before the next `make run`, SIGTERM to make at
the end; both must end without a traceback and leave no process behind.

"Check" means: every command names something that exists (a make target and the
variables it is given, a flask command and its options, a setting for `export`), and so
do the command-line table, inline commands and the commands the app prints.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import html
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import click
import pytest
import requests
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo
from werkzeug.exceptions import HTTPException

from campaign import create_app
from campaign.config import DEFAULTS
from campaign.core import devserver
from campaign.extensions import db
from tests.conftest import REPO_ROOT
from tests.support.smtp import free_port

README = REPO_ROOT / "README.md"
MARKER = re.compile(r"<!--\s*readme-test:\s*(run|check)\s*(?:;\s*check-only:\s*(.*?))?\s*-->")
FLASK = ".venv/bin/flask"
LOCAL_URL = re.compile(r"https?://(?:127\.0\.0\.1|localhost)(?::(\d+))?[^\s\"'<>)]*")
PASSWORD = "a long enough passphrase for the readme test"
SETTINGS_NOT_IN_DEFAULTS = {"INSTANCE_PATH"}  # read by create_app before the config


@dataclass
class Block:
    """One ```sh block of the README."""

    line: int  # where it starts, for messages
    mode: str | None  # "run", "check" or None (unmarked)
    check_only: tuple[str, ...]
    commands: list[str] = field(default_factory=list)


def readme_blocks(text: str) -> list[Block]:
    """The README's shell blocks with their markers; one command per (joined) line."""
    blocks: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        if lines[index].strip() in ("```sh", "```bash", "```shell"):
            above = next((ln for ln in reversed(lines[:index]) if ln.strip()), "")
            found = MARKER.search(above)
            check_only = tuple(
                p.strip() for p in ((found.group(2) or "") if found else "").split(",") if p.strip()
            )
            block = Block(index + 1, found.group(1) if found else None, check_only)
            index += 1
            pending = ""
            while index < len(lines) and lines[index].strip() != "```":
                current = pending + lines[index].strip()
                pending = ""
                if current.endswith("\\"):
                    pending = current[:-1] + " "
                elif current and not current.startswith("#"):
                    block.commands.append(current)
                index += 1
            blocks.append(block)
        index += 1
    return blocks


def words(command: str) -> list[list[str]]:
    """A command line as shell words, one list per part of a pipeline; comments dropped."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars="|;&")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    parts: list[list[str]] = [[]]
    for token in lexer:
        if token in ("|", "&&", ";", "||"):
            parts.append([])
        else:
            parts[-1].append(token)
    return [p for p in parts if p]


# --- checking commands against the code ---------------------------------------------


class Checker:
    """Checks that README commands name things that exist in this repository."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.group = FlaskGroup(create_app=lambda: app)
        makefile = (REPO_ROOT / "Makefile").read_text()
        self.targets = set(re.findall(r"^([A-Za-z][\w.-]*):", makefile, re.M))
        self.make_vars = set(re.findall(r"\$\((\w+)\)", makefile))

    def command(self, command: str) -> list[str]:
        """Problems with one command line (empty: fine)."""
        problems: list[str] = []
        for argv in words(command):
            while argv and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", argv[0]):
                argv = argv[1:]  # VAR=value before a command
            if not argv:
                continue
            program = argv[0]
            if program == "make":
                problems += self.make(argv[1:])
            elif program == FLASK:
                problems += self.flask(argv[1:])
            elif program == ".venv/bin/gunicorn":
                problems += self.gunicorn(argv[1:])
            elif program == "export":
                problems += self.export(argv[1:])
            elif program == "curl":
                problems += self.curl(argv[1:])
            elif program not in ("printf", "echo", "cd"):
                problems.append(f"unknown program {program!r}")
        return [f"{command}: {p}" for p in problems]

    def make(self, args: list[str]) -> list[str]:
        problems = []
        for arg in args:
            if "=" in arg:
                name = arg.split("=", 1)[0]
                if name not in self.make_vars:
                    problems.append(f"the Makefile does not use {name}")
            elif arg not in self.targets:
                problems.append(f"no make target {arg!r}")
        return problems

    def export(self, args: list[str]) -> list[str]:
        problems = []
        for arg in args:
            name = arg.split("=", 1)[0]
            if name == "DATABASE_URL":
                continue
            setting = name.removeprefix("CAMPAIGN_")
            if name == setting or (
                setting not in DEFAULTS and setting not in SETTINGS_NOT_IN_DEFAULTS
            ):
                problems.append(f"{name} is not a setting")
        return problems

    def curl(self, args: list[str]) -> list[str]:
        """Every address curl fetches is a GET route of the app (query strings allowed)."""
        urls = [a for a in args if a.startswith(("http://", "https://"))]
        if not urls:
            return ["curl without an http(s) address"]
        adapter = self.app.url_map.bind("localhost")
        problems = []
        for url in urls:
            path = urllib.parse.urlsplit(url).path or "/"
            try:
                adapter.match(path, method="GET")
            except HTTPException:
                problems.append(f"no GET route for {path}")
        return problems

    def gunicorn(self, args: list[str]) -> list[str]:
        target = args[-1] if args else ""
        module, _, factory = target.partition(":")
        if module != "campaign" or factory != "create_app()":
            return [f"gunicorn serves {target!r}, not 'campaign:create_app()'"]
        if not (Path(sys.prefix) / "bin" / "gunicorn").exists():
            return ["gunicorn is not installed by the package"]
        return []

    def flask(self, args: list[str]) -> list[str]:
        if args[:2] != ["--app", "campaign"]:
            return ["flask without --app campaign"]
        args = args[2:]
        info = ScriptInfo(create_app=lambda: self.app)
        ctx = click.Context(self.group, obj=info)
        command: click.Command = self.group
        path: list[str] = []
        while isinstance(command, click.Group) and args and not args[0].startswith("-"):
            sub = command.get_command(ctx, args[0])
            if sub is None:
                return [f"no command {' '.join([*path, args[0]])!r}"]
            path.append(args.pop(0))
            command = sub
        if isinstance(command, click.Group):
            return [f"{' '.join(path) or 'flask'!r} needs a subcommand"]
        return self.params(command, args)

    @staticmethod
    def params(command: click.Command, args: list[str]) -> list[str]:
        options = {opt: p for p in command.params for opt in (*p.opts, *p.secondary_opts)}
        arguments = [p for p in command.params if isinstance(p, click.Argument)]
        problems = []
        index = 0
        while index < len(args):
            arg = args[index]
            index += 1
            if arg.startswith("--"):
                param = options.get(arg.split("=", 1)[0])
                if param is None:
                    problems.append(f"{command.name} has no option {arg}")
                elif not getattr(param, "is_flag", False) and "=" not in arg:
                    index += 1  # its value
            elif arguments:
                param = arguments.pop(0)
                if isinstance(param.type, click.Choice):
                    wrong = [v for v in arg.split("|") if v not in param.type.choices]
                    if wrong:
                        problems.append(f"{command.name} does not accept {wrong}")
            else:
                problems.append(f"{command.name} takes no argument {arg!r}")
        return problems


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checker]:
    instance = tmp_path_factory.mktemp("readme-check")
    app = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "readme-check",
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": f"sqlite:///{instance}/check.sqlite3",
        }
    )
    yield Checker(app)
    with app.app_context():
        db.engine.dispose()


def command_table(text: str) -> list[str]:
    """The first column of the README's command-line table, as full commands."""
    section = text.split("## Command line", 1)[1].split("\n## ", 1)[0]
    found = []
    for row in re.findall(r"^\| `([^`]+)` \|", section, re.M):
        # "[--admin]" is optional, "a\|b" are alternatives (one argument, quoted here)
        parts = re.sub(r"[\[\]]", "", row).replace("\\|", "|").split()
        found.append(" ".join([FLASK, "--app", "campaign", *map(shlex.quote, parts)]))
    return found


def inline_commands(text: str) -> list[str]:
    """Commands written inline in the prose (code spans), outside the shell blocks."""
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    spans = re.findall(r"`([^`\n]+)`", prose)
    starts = (f"{FLASK} --app", "make ", ".venv/bin/gunicorn ")
    return [s for s in spans if s.startswith(starts) and "<" not in s]  # not "<command>"


def test_every_shell_block_says_whether_it_is_run_or_checked():
    blocks = readme_blocks(README.read_text())
    assert blocks, "no shell blocks found"
    unmarked = [b.line for b in blocks if b.mode is None]
    assert not unmarked, f"README.md lines {unmarked}: add <!-- readme-test: run|check -->"
    assert all(b.commands for b in blocks)
    assert any(b.mode == "run" for b in blocks)


def test_every_readme_command_names_what_exists(checker):
    text = README.read_text()
    commands = [c for b in readme_blocks(text) for c in b.commands]
    table = command_table(text)
    inline = inline_commands(text)
    assert len(table) >= 10 and inline, (table, inline)
    problems = [p for c in commands + table + inline for p in checker.command(c)]
    assert not problems, "\n".join(problems)


def test_every_setting_the_readme_names_exists():
    names = set(re.findall(r"\bCAMPAIGN_([A-Z][A-Z0-9_]*[A-Z0-9])\b", README.read_text()))
    unknown = names - set(DEFAULTS) - SETTINGS_NOT_IN_DEFAULTS
    assert not unknown, unknown


def layout_tree(text: str) -> list[str]:
    """The paths the README's Layout tree names (two spaces of indent a level; a line
    may name several siblings before its description, which is two spaces further)."""
    section = text.split("\n## Layout", 1)[1]
    found = re.search(r"```text\n(.*?)```", section, re.S)
    assert found, "no tree in the README's Layout section"
    paths: list[str] = []
    parents: list[str] = []
    for line in found.group(1).splitlines():
        depth = (len(line) - len(line.lstrip(" "))) // 2
        names = re.split(r"\s{2,}", line.strip())[0].split()
        del parents[depth:]
        for name in names:
            paths.append("".join(parents) + name)
        if len(names) == 1 and names[0].endswith("/"):
            parents.append(names[0])
    return paths


def test_the_layout_tree_matches_the_code():
    """Every file and folder in the tree exists where the tree puts it, and every package
    of campaign/ is in it, so the tree cannot drift from the code."""
    paths = layout_tree(README.read_text())
    missing = [p for p in paths if not (REPO_ROOT / p).exists()]
    assert not missing, f"the README's Layout tree names what does not exist: {missing}"
    packages = {
        f"campaign/{p.parent.name}/" for p in (REPO_ROOT / "campaign").glob("*/__init__.py")
    }
    left_out = sorted(packages - set(paths))
    assert not left_out, f"the README's Layout tree leaves out {left_out}"


def test_the_checker_finds_drift(checker):
    """The checks above can fail: each kind of mistake is caught."""
    bad = [
        "make runn",
        "make run PROT=5001",
        f"{FLASK} --app campaign create-organiser --email x@example.org",
        f"{FLASK} --app campaign create-organizer --mail x@example.org",
        f"{FLASK} --app campaign jobs run deliver|remind",
        f"{FLASK} --app campaign jobs",
        "export CAMPAIGN_SECRET=x",
        ".venv/bin/gunicorn 'campaign:app'",
        "pip install campaign",
        "curl -s http://127.0.0.1:5000/api/v2/events",
        "curl -s",
    ]
    for command in bad:
        assert checker.command(command), command
    good = f"printf '%s\\n' 'x y' | {FLASK} --app campaign create-organizer --email a@b.org --admin"
    assert checker.command(good) == []


def test_commands_the_app_prints_work_in_a_new_terminal(checker, tmp_path):
    """Hints in pages and in the make run banner: .venv/bin/flask, and a real command."""
    printed = []
    for path in (REPO_ROOT / "templates").rglob("*.html"):
        text = html.unescape(path.read_text())
        for found in re.findall(r"(?<![\w/.])((?:\.venv/bin/)?flask --app campaign[^<\n]*)", text):
            printed.append((path.name, found.strip()))
    assert len(printed) >= 3, printed
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text('ENV = "development"\n')  # as make run writes it
    app = create_app(
        {
            "ENV": "development",
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": f"sqlite:///{tmp_path}/banner.sqlite3",
        }
    )
    banner = devserver.banner(app, "http://127.0.0.1:5000")
    with app.app_context():
        db.engine.dispose()
    hints = [line.strip() for line in banner.splitlines() if "--app campaign" in line]
    assert hints, banner
    printed += [("the make run banner", hint) for hint in hints]
    for name, command in printed:
        assert command.startswith(FLASK), f"{name}: {command!r} is not on a new terminal's PATH"
        assert checker.command(command) == [], (name, command)


# --- running the README in a fresh copy -----------------------------------------------


@dataclass
class Server:
    """A `make run` started in the background."""

    process: subprocess.Popen[bytes]
    log: Path
    port: int

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def stuck_state(group: int) -> str:
    """What the processes of a job that ignored its signal were doing: their states, kernel
    waits and signal masks, then the Python ones' thread stacks (SIGABRT, which
    PYTHONFAULTHANDLER turns into a dump of every thread into the job's log)."""
    listing = subprocess.run(
        ["ps", "-o", "pid,ppid,pgid,stat,wchan:24,args", "-g", str(group)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    lines = [listing]
    for pid in re.findall(r"^\s*(\d+)", listing, re.MULTILINE):
        try:  # a process may end meanwhile; the report must not hide the failure
            status = Path(f"/proc/{pid}/status").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        masks = re.findall(r"^(Sig(?:Blk|Ign|Cgt)):\s*(\S+)", status, re.MULTILINE)
        lines.append(f"{pid}: " + " ".join(f"{name} {mask}" for name, mask in masks))
        if "python" in command:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGABRT)
    time.sleep(2)  # the dumps are written to the job's log, shown above this
    return "\n".join(lines)


class Newcomer:
    """Runs README commands in the copy, in a bare environment, and checks what they do."""

    def __init__(self, root: Path, home: Path, logs: Path) -> None:
        self.root = root
        # A new terminal's bare environment; PYTHONFAULTHANDLER only adds thread dumps to
        # a process that is killed by a fatal signal (stuck_state uses it).
        self.env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "PYTHONFAULTHANDLER": "1"}
        self.logs = logs
        self.server: Server | None = None
        self.registrations = 0
        self.ran: list[str] = []

    # -- commands ---------------------------------------------------------------

    def run(self, command: str) -> str:
        """Run one README line; its output. Fails with the command and output."""
        self.ran.append(command)
        if command.startswith("make run"):
            self.start_server(command)
            return self.server.output() if self.server else ""
        stdin = None
        if "create-organizer" in command and "--password-stdin" not in command:
            stdin = f"{PASSWORD}\n{PASSWORD}\n"  # typed twice at the prompt
        result = subprocess.run(
            ["bash", "-c", command],
            cwd=self.root,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            start_new_session=True,  # no terminal: the password prompt reads stdin
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"`{command}` failed ({result.returncode}):\n{output}"
        assert "Traceback" not in output, f"`{command}`:\n{output}"
        self.assert_links_follow_the_server(output, f"the output of `{command}`")
        return output

    def start_server(self, command: str) -> None:
        port = free_port()
        if self.server is not None:
            self.stop_server(signal.SIGINT)
        if re.search(r"\bPORT=\d+", command):
            command = re.sub(r"\bPORT=\d+", f"PORT={port}", command)
            env = self.env
        else:
            env = {**self.env, "PORT": str(port)}
        log = self.logs / f"make-run-{port}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                ["bash", "-c", command],
                cwd=self.root,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, as a terminal's job
            )
        self.server = Server(process, log, port)
        self.wait_until_serving()

    def wait_until_serving(self) -> None:
        assert self.server is not None
        deadline = time.monotonic() + 120
        while True:
            if self.server.process.poll() is not None:
                pytest.fail(f"make run exited ({self.server.process.returncode}):\n{self.output()}")
            try:
                if requests.get(self.url("/healthz"), timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"make run did not serve on {self.server.port}:\n{self.output()}")
            time.sleep(0.3)
        while "scheduler: started" not in self.output():
            if time.monotonic() > deadline:
                pytest.fail(f"the scheduler did not start:\n{self.output()}")
            time.sleep(0.2)

    def stop_server(self, signum: int) -> str:
        """Ctrl-C (SIGINT to the job's process group) or SIGTERM to make; clean stop."""
        server = self.server
        assert server is not None
        before = len(server.output())
        if signum == signal.SIGINT:
            os.killpg(server.process.pid, signal.SIGINT)
        else:
            server.process.send_signal(signum)
        try:
            code = server.process.wait(60)
        except subprocess.TimeoutExpired:
            state = stuck_state(server.process.pid)
            os.killpg(server.process.pid, signal.SIGKILL)
            pytest.fail(f"make run did not stop on signal {signum}:\n{server.output()}\n{state}")
        self.server = None
        output = server.output()
        tail = output[before:]
        assert code in (0, -signum), f"make run ended with {code}:\n{output}"
        assert "Traceback" not in output, output
        assert "make: ***" not in tail, tail
        assert "scheduler: stopped" in tail, tail  # a clean stop, not a kill
        left = processes_in(self.root)
        assert not left, f"still running after make run stopped: {left}"
        return output

    def output(self) -> str:
        return self.server.output() if self.server else ""

    # -- what a newcomer does with a running server -------------------------------

    def url(self, path: str) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.port}{path}"

    def assert_links_follow_the_server(self, text: str, where: str) -> None:
        if self.server is None:
            return
        ports = {m.group(1) for m in LOCAL_URL.finditer(text)}
        wrong = ports - {str(self.server.port)}
        assert not wrong, f"{where} links to port {wrong}, not {self.server.port}:\n{text[:3000]}"

    def register_and_read_the_mail(self) -> None:
        """Open the site, register for an event, and check every link in the mail."""
        assert self.server is not None
        self.registrations += 1
        address = f"newcomer{self.registrations}@example.org"
        session = requests.Session()
        home = session.get(self.url("/"), timeout=30)
        assert home.status_code == 200
        slug = re.search(r'href="/events/([a-z0-9-]+)"', home.text)
        assert slug, "no event on the home page"
        page = session.get(self.url(f"/events/{slug.group(1)}"), timeout=30)
        assert page.status_code == 200
        opened = time.monotonic()
        self.assert_links_follow_the_server(page.text, "the event page")
        assert LOCAL_URL.search(page.text), "no absolute link on the event page"
        self.assert_qr_codes_follow_the_server(session, page.text)

        action, fields = signup_form(page.text)
        fields.update({"name": "New Comer", "email": address})
        # A person takes a few seconds to fill the form in; quicker is treated as a bot.
        time.sleep(
            max(0.0, float(DEFAULTS["SIGNUP_MIN_SECONDS"]) + 0.5 - (time.monotonic() - opened))
        )
        done = session.post(self.url(action), data=fields, timeout=30)
        assert done.status_code == 200, done.text[:2000]

        message = self.wait_for_mail(address)
        parts = [p.get_content() for p in message.walk() if p.get_content_maintype() == "text"]
        body = "\n".join(parts)  # text, HTML and the calendar file
        body += "\n" + urllib.parse.unquote(body)  # links inside calendar-service links
        urls = [m.group(0) for m in LOCAL_URL.finditer(body)]
        assert any("/r/" in u for u in urls), body[:3000]  # the registrant's own page
        self.assert_links_follow_the_server(body, f"the mail to {address}")

    def assert_qr_codes_follow_the_server(self, session: requests.Session, page: str) -> None:
        """The event's share card carries a QR code with the event's address."""
        if shutil.which("zbarimg") is None:
            return  # the links in the page and the mail are still checked
        cards = set(re.findall(r"/cards/[0-9a-f]+\.png", page))
        decoded = []
        for card in sorted(cards):
            image = session.get(self.url(card), timeout=60)
            assert image.status_code == 200
            result = subprocess.run(
                ["zbarimg", "--quiet", "--raw", "-"],
                input=image.content,
                capture_output=True,
                timeout=60,
                check=False,
            )
            decoded += result.stdout.decode().split()
        assert decoded, f"no QR code found in {sorted(cards)}"
        self.assert_links_follow_the_server("\n".join(decoded), "the QR code")
        assert all(LOCAL_URL.fullmatch(d) for d in decoded), decoded

    def wait_for_mail(self, address: str) -> EmailMessage:
        """The .eml the scheduler writes for address (the file backend)."""
        folder = self.root / "instance" / "mail"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
                message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                if address in str(message["To"]):
                    return message  # type: ignore[return-value]
            time.sleep(0.5)
        pytest.fail(f"no mail for {address} in {folder}:\n{self.output()}")


def signup_form(page: str) -> tuple[str, dict[str, str]]:
    """The registration form's action and the values a browser would send untouched."""
    form = re.search(r'<form method="post" action="([^"]+/register)"(.*?)</form>', page, re.S)
    assert form, "no registration form on the event page"
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input\b[^>]*>", form.group(2)):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag))
        if attrs.get("type") in ("checkbox", "radio", "submit") or "name" not in attrs:
            continue
        fields[attrs["name"]] = html.unescape(attrs.get("value", ""))
    return html.unescape(form.group(1)), fields


def processes_in(root: Path) -> list[str]:
    """Processes of this user whose working directory is inside root."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cwd = os.readlink(proc / "cwd")
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if cwd == str(root) or cwd.startswith(f"{root}/"):
            found.append(f"{proc.name}: {cmdline.strip()}")
    return found


def copy_repository(target: Path) -> None:
    """What a clone holds: the tracked files (and new ones not ignored), mtimes kept."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO_ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


@pytest.fixture
def fresh_copy(tmp_path: Path) -> Path:
    """A copy of the repository whose .venv is this test run's (made by make)."""
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("not a git checkout: nothing to copy the way a clone would")
    root = tmp_path / "campaign"
    root.mkdir()
    copy_repository(root)
    assert not (root / "instance").exists()
    (root / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    # make would rebuild .venv (from the package registry, into the shared venv) if it
    # were older than pyproject.toml; then the repository's own venv is stale too.
    fresh = subprocess.run(
        ["make", "-q", ".venv/.installed-run"],
        cwd=root,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        check=False,
    )
    if fresh.returncode != 0:
        pytest.fail(f"{sys.prefix} is not an up-to-date `make` virtualenv: run `make test`")
    return root


@pytest.fixture
def newcomer(fresh_copy: Path, tmp_path: Path) -> Iterator[Newcomer]:
    home = tmp_path / "home"
    home.mkdir()
    logs = tmp_path / "logs"
    logs.mkdir()
    person = Newcomer(fresh_copy, home, logs)
    yield person
    if person.server is not None and person.server.process.poll() is None:
        os.killpg(person.server.process.pid, signal.SIGKILL)
        person.server.process.wait(10)
    for line in processes_in(fresh_copy):  # a scheduler left behind by a failure
        os.kill(int(line.split(":", 1)[0]), signal.SIGKILL)


@pytest.mark.slow
def test_the_readme_works_as_written_in_a_fresh_copy(newcomer: Newcomer):
    blocks = readme_blocks(README.read_text())
    banners: list[str] = []
    for block in blocks:
        if block.mode != "run":
            continue
        for command in block.commands:
            if command.startswith(block.check_only):
                continue
            output = newcomer.run(command)
            if command.startswith("make run"):
                banners.append(output)
                newcomer.register_and_read_the_mail()
            if "create-organizer" in command:
                assert f"Sign in at {newcomer.url('/manage/login')}" in output, output

    ran = newcomer.ran
    assert sum(c.startswith("make run") for c in ran) >= 2, ran
    assert any("PORT=" in c for c in ran), "the README shows no other port"
    for needed in (
        "create-organizer",
        "db upgrade",
        "seed-demo",
        "jobs run deliver",
        "cards render-all",
    ):
        assert any(needed in c for c in ran), f"no README command runs {needed}"

    first = banners[0]
    assert "Wrote instance/config.py" in first
    # The command the banner prints is the README's, which ran above in a new terminal.
    hint = re.search(r"first admin in another terminal:\n\s+(.+)\n", first)
    assert hint, first
    organizer = next(c for c in ran if "create-organizer" in c and "--admin" in c)
    assert hint.group(1).strip() == organizer

    newcomer.stop_server(signal.SIGTERM)
