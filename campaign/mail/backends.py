"""Delivery backends: file (.eml under instance/), console, and SMTP."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import smtplib
import ssl
import sys
import tempfile
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

log = logging.getLogger(__name__)


class TransientError(Exception):
    """Worth retrying later, charged to the message: a 4xx answer about it."""


class ServerUnavailable(TransientError):
    """The server cannot take mail now: no connection, no greeting, a refused login or
    sender, a 421, or it stopped answering before the message went out. Nothing was
    sent; no message is charged an attempt and the deliverer backs off as a whole."""


class OutcomeUnknown(TransientError):
    """The message went out but no answer came (a timeout or a dropped connection after
    the content): it may have arrived. Retried later with backoff, never at once."""


class PermanentError(Exception):
    """Retrying will not help: a 5xx answer about the message. It is marked failed."""


class Backend(Protocol):
    def open(self) -> None: ...
    def send(self, message: Message) -> None: ...
    def close(self) -> None: ...


class FileBackend:
    """Writes each message as an .eml file; the embedded default for development."""

    def __init__(self, directory: str) -> None:
        self.directory = Path(directory)

    def open(self) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ServerUnavailable(f"cannot write to the mail folder: {exc}") from exc

    def send(self, message: Message) -> None:
        message_id = str(message["Message-ID"]).strip("<>").split("@")[0]
        safe = "".join(ch for ch in message_id if ch.isalnum() or ch in ".-_")[:80]
        # Write then rename, so a reader never sees half a file.
        try:
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(message.as_bytes())
            os.replace(tmp, self.directory / f"{safe}.eml")
        except OSError as exc:  # a full disk is an outage, not the message's fault
            raise ServerUnavailable(f"cannot write to the mail folder: {exc}") from exc

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


class _SMTP(smtplib.SMTP):
    """smtplib.SMTP writing DATA out here, so the backend knows whether the content of
    the current message has started to go out (after that, a failure is no proof that
    the message did not arrive)."""

    content_sent = False

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        code, reply = self.docmd("data")
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        if isinstance(msg, str):  # (send_message hands over bytes with CRLF already)
            msg = _LINE_END.sub(b"\r\n", msg.encode("ascii"))
        content = _LINE_START_DOT.sub(b"..", bytes(msg))
        if not content.endswith(b"\r\n"):
            content += b"\r\n"
        self.content_sent = True
        self.send(content + b".\r\n")
        return self.getreply()


_LINE_END = re.compile(rb"\r\n|\r|\n")
_LINE_START_DOT = re.compile(rb"(?m)^\.")


class _SMTPSSL(_SMTP, smtplib.SMTP_SSL):
    """smtplib.SMTP_SSL with _SMTP's data()."""


class SMTPBackend:
    """One SMTP connection reused for a batch.

    Sends each message at most once per call: a connection found closed before the
    message's content went out is reopened and the message sent again at once (the
    server closed an idle connection); after the content went out, a timeout or a drop
    is an unknown outcome (OutcomeUnknown) and the caller retries later, as RFC 5321
    expects. Answers about the server rather than the message (no connection, no
    greeting, refused login or sender, 421, a server that stopped answering) raise
    ServerUnavailable.
    """

    def __init__(self, settings: SMTPSettings) -> None:
        if settings.security not in ("none", "starttls", "ssl"):
            raise ValueError("SMTP security must be none, starttls or ssl")
        self.settings = settings
        self.connection: _SMTP | _SMTPSSL | None = None
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
        conn: _SMTP | _SMTPSSL | None = None
        try:
            if s.security == "ssl":
                conn = _SMTPSSL(
                    s.host,
                    s.port,
                    timeout=s.timeout,
                    context=self._tls_context(),
                    local_hostname=s.local_hostname,
                )
            else:
                conn = _SMTP(s.host, s.port, timeout=s.timeout, local_hostname=s.local_hostname)
                if s.security == "starttls":
                    conn.starttls(context=self._tls_context())
            if s.username:
                conn.login(s.username, s.password)
            conn.ehlo_or_helo_if_needed()
        except (OSError, smtplib.SMTPException) as exc:
            # A refused login or a 4xx/5xx greeting is the server's (or the settings')
            # problem, not a message's: retried with backoff like a refused connection.
            if conn is not None:
                with contextlib.suppress(OSError):
                    conn.close()
            raise ServerUnavailable(f"connection failed: {_reason(exc)}") from exc
        self.connection = conn

    def send(self, message: Message) -> None:
        reused = self.connection is not None
        while True:
            self.open()
            conn = self.connection
            assert conn is not None
            conn.content_sent = False
            try:
                refused = conn.send_message(message)
            except smtplib.SMTPRecipientsRefused as exc:
                code, reply = next(iter(exc.recipients.values()))
                raise self._answered(code, reply) from exc
            except smtplib.SMTPSenderRefused as exc:
                if exc.smtp_code >= 500 and exc.smtp_code != 552:  # 552: too big, this one
                    self._drop()
                    raise ServerUnavailable(
                        f"the server refuses the sender: {_reply(exc.smtp_code, exc.smtp_error)}"
                    ) from exc
                raise self._answered(exc.smtp_code, exc.smtp_error) from exc
            except smtplib.SMTPResponseException as exc:
                raise self._answered(exc.smtp_code, exc.smtp_error) from exc
            except smtplib.SMTPNotSupportedError as exc:  # SMTPUTF8 needed, not offered
                self._reset()
                raise PermanentError(f"not sent: {exc}") from exc
            except (OSError, smtplib.SMTPException) as exc:
                self._drop()
                if conn.content_sent:
                    raise OutcomeUnknown(
                        f"no answer after the message was sent ({_reason(exc)})"
                    ) from exc
                if reused and not _timed_out(exc):
                    reused = False
                    continue  # an idle connection the server had closed: reopen once
                raise ServerUnavailable(f"the server stopped answering: {_reason(exc)}") from exc
            if refused:
                code, reply = next(iter(refused.values()))
                raise self._answered(code, reply)
            return

    def _answered(self, code: int, text: bytes | str) -> Exception:
        """The error for an answer about the message; 421 (or no valid reply code) is
        about the server."""
        if code == 421 or not 400 <= code < 600:
            self._drop()
            return ServerUnavailable(f"the server is not taking mail: {_reply(code, text)}")
        self._reset()
        if 400 <= code < 500:
            return TransientError(_reply(code, text))
        return PermanentError(_reply(code, text))

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


def _timed_out(exc: BaseException) -> bool:
    """True when exc, or what it was raised from, is a socket timeout."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc.smtp_code, exc.smtp_error)
    if _timed_out(exc):
        return "timed out"
    return f"{type(exc).__name__}: {exc}"


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


def backend_from_config(config: dict[str, Any], instance_path: str) -> Backend:
    """The configured backend: file (default), console or smtp."""
    kind = str(config.get("MAIL_BACKEND", "file")).lower()
    if kind == "file":
        return FileBackend(config.get("MAIL_FILE_DIR") or os.path.join(instance_path, "mail"))
    if kind == "console":
        return ConsoleBackend()
    if kind == "smtp":
        return SMTPBackend(
            SMTPSettings(
                host=config.get("SMTP_HOST") or "localhost",
                port=int(config.get("SMTP_PORT") or 587),
                security=str(config.get("SMTP_SECURITY") or "starttls").lower(),
                username=config.get("SMTP_USERNAME") or "",
                password=config.get("SMTP_PASSWORD") or "",
                timeout=float(config.get("SMTP_TIMEOUT") or 20),
            )
        )
    raise ValueError(f"Unknown MAIL_BACKEND {kind!r}: use file, console or smtp")
