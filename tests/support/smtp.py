"""A real SMTP server on loopback for the tests (aiosmtpd), and a server that never greets.

The server records every DATA attempt (accepted or not) with its envelope and bytes and
when its MAIL FROM arrived, and can be told to answer 451 to some messages, 550 to some
recipients, anything (a 421) to every MAIL FROM, to take its time per message or per
recipient, or to go away for a while and come back on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(<[^>\r\n]*>)", re.I | re.M)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Attempt:
    """One DATA command as the server saw it, and what it answered."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    reply: str
    at: float = 0.0  # time.monotonic() when the server answered (or will, after its delay)
    started: float = 0.0  # time.monotonic() when its MAIL FROM arrived

    @property
    def accepted(self) -> bool:
        return self.reply.startswith("250")

    @property
    def message_id(self) -> str | None:
        head = self.data.split(b"\r\n\r\n", 1)[0]
        match = _MESSAGE_ID.search(head)
        return match.group(1).decode() if match else None

    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)  # type: ignore[return-value]


# (message-id, how many times that message-id was seen before) -> answer 451?
TempFailRule = Callable[[str | None, int], bool]


class Recorder:
    """The aiosmtpd handler: answers by the rules and records every attempt."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.attempts: list[Attempt] = []
        self.refused: list[tuple[str, str]] = []  # (recipient, reply) at RCPT
        self.reject_recipients: dict[str, str] = {}
        self.temp_fail: TempFailRule | None = None
        # What temp_fail answers; {rcpt} is the first recipient.
        self.temp_fail_reply = "451 4.3.0 Temporary local problem, try again later"
        self.mail_reply: str | None = None  # the answer to every MAIL FROM, when set
        self.delay = 0.0
        self.delays: dict[str, float] = {}  # per recipient, instead of delay
        self._seen: Counter[str | None] = Counter()
        self._started: dict[int, float] = {}  # id(envelope) -> when MAIL FROM arrived
        self.mail_commands = 0  # every MAIL FROM, answered or not, finished or not

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        with self.lock:
            self.mail_commands += 1
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        with self.lock:
            self._started[id(envelope)] = time.monotonic()
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        reply = self.reject_recipients.get(address.lower())
        if reply:
            with self.lock:
                self.refused.append((address, reply))
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Decide and record the message as it arrives, then answer after the delay: like
        a real server, it keeps a message it accepted even if the client stops waiting."""
        delay = max((self.delays.get(to.lower(), 0.0) for to in envelope.rcpt_tos), default=0.0)
        delay = delay or self.delay
        data = bytes(envelope.original_content or envelope.content)
        probe = Attempt(envelope.mail_from, tuple(envelope.rcpt_tos), data, "")
        with self.lock:
            started = self._started.pop(id(envelope), 0.0)
            seen = self._seen[probe.message_id]
            self._seen[probe.message_id] += 1
            rule = self.temp_fail
            reply = "250 2.0.0 OK: queued"
            if rule is not None and rule(probe.message_id, seen):
                reply = self.temp_fail_reply.format(rcpt=(envelope.rcpt_tos or [""])[0])
            rcpt_tos = tuple(envelope.rcpt_tos)
            answered = time.monotonic() + delay
            self.attempts.append(
                Attempt(envelope.mail_from, rcpt_tos, data, reply, answered, started)
            )
        if delay:
            await asyncio.sleep(delay)
        return reply


class SMTPServer:
    """aiosmtpd on 127.0.0.1 in a thread; stop() and start() again on the same port."""

    def __init__(self, port: int | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.handler = Recorder()
        self._controller: Controller | None = None

    def start(self) -> SMTPServer:
        controller = Controller(
            self.handler, hostname=self.host, port=self.port, ready_timeout=10.0
        )
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def is_running(self) -> bool:
        return self._controller is not None

    def __enter__(self) -> SMTPServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what arrived ---------------------------------------------------------------

    @property
    def attempts(self) -> list[Attempt]:
        with self.handler.lock:
            return list(self.handler.attempts)

    @property
    def received(self) -> list[Attempt]:
        """Accepted messages, in arrival order."""
        return [a for a in self.attempts if a.accepted]

    def messages(self) -> list[EmailMessage]:
        return [a.message() for a in self.received]

    def received_ids(self) -> Counter[str | None]:
        """How many times each Message-ID was accepted."""
        return Counter(a.message_id for a in self.received)

    def to(self, address: str) -> list[EmailMessage]:
        """Accepted messages whose envelope recipient is address."""
        return [a.message() for a in self.received if address in a.rcpt_tos]


@contextlib.contextmanager
def hung_server(connected: threading.Event | None = None) -> Iterator[int]:
    """A server that accepts TCP connections and never says a word; yields its port.
    `connected`, when given, is set once a client has connected."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)
            if connected is not None:
                connected.set()

    thread = threading.Thread(target=accept, name="hung-smtp", daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        listener.close()
