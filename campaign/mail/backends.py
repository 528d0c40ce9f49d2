"""Delivery backends: file (.eml under instance/), console, and SMTP."""

from __future__ import annotations

import contextlib
import logging
import os
import smtplib
import ssl
import sys
import tempfile
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)


class TransientError(Exception):
    """Worth retrying later: 4xx replies, timeouts, refused or dropped connections."""


class ConnectionFailed(TransientError):
    """The server could not be reached or did not greet: the rest of a batch would fail too."""


class PermanentError(Exception):
    """Retrying will not help: 5xx replies. The message is marked failed."""


class Backend(Protocol):
    def open(self) -> None: ...
    def send(self, message: Message) -> None: ...
    def close(self) -> None: ...


class FileBackend:
    """Writes each message as an .eml file; the embedded default for development."""

    def __init__(self, directory: str) -> None:
        self.directory = Path(directory)

    def open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)

    def send(self, message: Message) -> None:
        message_id = str(message["Message-ID"]).strip("<>").split("@")[0]
        safe = "".join(ch for ch in message_id if ch.isalnum() or ch in ".-_")[:80]
        # Write then rename, so a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(message.as_bytes())
        os.replace(tmp, self.directory / f"{safe}.eml")

    def close(self) -> None:
        return None


class ConsoleBackend:
    """Prints each message to standard output (development only)."""

    def open(self) -> None:
        return None

    def send(self, message: Message) -> None:
        # as_bytes keeps 8bit UTF-8 bodies readable (as_string would turn them to base64).
        text = message.as_bytes().decode("utf-8", "replace")
        sys.stdout.write(text + "\n" + "-" * 72 + "\n")
        sys.stdout.flush()

    def close(self) -> None:
        return None


@dataclass
class SMTPSettings:
    host: str
    port: int
    security: str = "starttls"  # none | starttls | ssl
    username: str = ""
    password: str = ""
    timeout: float = 20.0
    local_hostname: str | None = None


class SMTPBackend:
    """One SMTP connection reused for a batch, reopened when it drops."""

    def __init__(self, settings: SMTPSettings) -> None:
        if settings.security not in ("none", "starttls", "ssl"):
            raise ValueError("SMTP security must be none, starttls or ssl")
        self.settings = settings
        self.connection: smtplib.SMTP | None = None
        self._tls: ssl.SSLContext | None = None

    def _tls_context(self) -> ssl.SSLContext:
        """Certificate-verifying TLS, built once (loading the CA store is slow)."""
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls

    def open(self) -> None:
        if self.connection is not None:
            return
        s = self.settings
        conn: smtplib.SMTP | None = None
        try:
            if s.security == "ssl":
                conn = smtplib.SMTP_SSL(
                    s.host,
                    s.port,
                    timeout=s.timeout,
                    context=self._tls_context(),
                    local_hostname=s.local_hostname,
                )
            else:
                conn = smtplib.SMTP(
                    s.host, s.port, timeout=s.timeout, local_hostname=s.local_hostname
                )
                if s.security == "starttls":
                    conn.starttls(context=self._tls_context())
            if s.username:
                conn.login(s.username, s.password)
        except (OSError, smtplib.SMTPException) as exc:
            # A refused login or a 4xx/5xx greeting is the server's (or the settings')
            # problem, not the message's: retried with backoff like a refused connection.
            if conn is not None:
                with contextlib.suppress(OSError):
                    conn.close()
            if isinstance(exc, smtplib.SMTPResponseException):
                reason = _reply(exc.smtp_code, exc.smtp_error)
            else:
                reason = f"{type(exc).__name__}: {exc}"
            raise ConnectionFailed(f"connection failed: {reason}") from exc
        self.connection = conn

    def send(self, message: Message) -> None:
        for attempt in (1, 2):
            self.open()
            assert self.connection is not None
            try:
                refused = self.connection.send_message(message)
            except smtplib.SMTPServerDisconnected as exc:
                self._drop()
                if attempt == 2:
                    raise TransientError(f"server disconnected: {exc}") from exc
                continue  # the reused connection had gone stale: reopen once
            except smtplib.SMTPRecipientsRefused as exc:
                self._reset()
                code, reply = next(iter(exc.recipients.values()))
                raise _classify(code, reply) from exc
            except smtplib.SMTPResponseException as exc:
                self._reset()
                raise _classify(exc.smtp_code, exc.smtp_error) from exc
            except (OSError, smtplib.SMTPException) as exc:
                self._drop()
                raise TransientError(f"{type(exc).__name__}: {exc}") from exc
            if refused:
                code, reply = next(iter(refused.values()))
                raise _classify(code, reply)
            return

    def _reset(self) -> None:
        try:
            if self.connection is not None:
                self.connection.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()

    def _drop(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(OSError):
                self.connection.close()
        self.connection = None

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.connection.quit()
        self._drop()


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


def _classify(code: int, text: bytes | str) -> Exception:
    if 400 <= code < 500:
        return TransientError(_reply(code, text))
    return PermanentError(_reply(code, text))
