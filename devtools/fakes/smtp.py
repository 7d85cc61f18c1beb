"""A real SMTP server on loopback (aiosmtpd), for the email tests and dry runs.

It speaks SMTP as a mail server does (RFC 5321): greeting, EHLO, optional STARTTLS or
TLS from the first byte, AUTH when a login is set (``535`` for a wrong password),
MAIL, RCPT, DATA. What it accepts is kept as :class:`Received` (the envelope and the
message bytes, parsed on demand with Python's ``email`` package); what it answers can
be scripted to exercise a client's error handling::

    with SmtpServer(login="alerts", password="s3cret") as server:
        server.script("DATA", "451 4.3.0 Try again later", times=2)   # 4xx twice
        server.refuse("nobody@example.org", "550 5.1.1 No such user")
        server.script("DATA", DROP)            # keep the message, answer nothing
        ...  # the client connects to server.host:server.port
        [mail] = server.wait_for(1)
        assert mail.message["Subject"] == "..."

Every answer it gives to MAIL, RCPT and DATA is recorded in :attr:`SmtpServer.log` as
``"<COMMAND> <reply>"``; helpers poll with a timeout instead of sleeping.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from devtools.fakes.hipchat import self_signed_certificate

ACCEPTED = "250 2.0.0 OK: queued"
#: A scripted DATA "reply" that takes the message and drops the connection without
#: answering: the client cannot tell whether the message arrived.
DROP = "DROP"
STAGES = ("MAIL", "RCPT", "DATA")
SECURITY = ("NONE", "STARTTLS", "SSL")


@dataclass(frozen=True)
class Received:
    """One message the server accepted: the envelope, the bytes, who logged in and
    whether the session was encrypted."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    login: str
    encrypted: bool

    @property
    def message(self) -> EmailMessage:
        """The message as a mail client reads it."""
        parsed = BytesParser(policy=policy.default).parsebytes(self.data)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def html(self) -> str:
        """The HTML body, its line ends (CR LF on the wire) as LF."""
        part = self.message.get_body(preferencelist=("html",))
        assert part is not None, "no text/html part"
        return str(part.get_content()).replace("\r\n", "\n")

    def inline_images(self) -> dict[str, bytes]:
        """``{Content-ID without brackets: bytes}`` of the images shown in the body."""
        images = {}
        for part in self.message.walk():
            if part.get_content_maintype() == "image" and part["Content-ID"]:
                content = part.get_content()
                assert isinstance(content, bytes)
                images[str(part["Content-ID"]).strip("<>")] = content
        return images


class _Handler:
    """aiosmtpd's hooks: scripted replies first, then the defaults."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_MAIL(
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = self.server._scripted("MAIL") or "250 2.1.0 OK"
        if reply.startswith("250"):
            envelope.mail_from = address
            envelope.mail_options.extend(options)
        return self.server._answer("MAIL", reply)

    async def handle_RCPT(
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = self.server._scripted("RCPT") or self.server._refused.get(address.lower())
        if reply is None:
            envelope.rcpt_tos.append(address)
            reply = "250 2.1.5 OK"
        return self.server._answer("RCPT", reply)

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        reply = self.server._scripted("DATA")
        if reply is None or reply == DROP:
            auth = session.auth_data
            login = auth.login.decode() if isinstance(auth, LoginPassword) else ""
            data = envelope.original_content or b""
            self.server._keep(
                Received(
                    str(envelope.mail_from),
                    tuple(envelope.rcpt_tos),
                    data if isinstance(data, bytes) else data.encode(),
                    login,
                    # STARTTLS sets session.ssl; TLS from the first byte shows on the socket.
                    session.ssl is not None
                    or (
                        smtp.transport is not None
                        and smtp.transport.get_extra_info("ssl_object") is not None
                    ),
                )
            )
            if reply == DROP:
                self.server._answer("DATA", DROP)
                assert smtp.transport is not None
                smtp.transport.close()
                return ACCEPTED  # never reaches the client
            reply = ACCEPTED
        return self.server._answer("DATA", reply)


class _Controller(Controller):
    def factory(self) -> SMTP:
        with warnings.catch_warnings():
            # AUTH on a plain loopback session is what the plain mode is for.
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
            return super().factory()


class SmtpServer:
    """An SMTP server on 127.0.0.1 and a free port, in a thread of its own.

    ``security``: ``NONE`` (plain), ``STARTTLS`` (required before MAIL) or ``SSL``
    (TLS from the first byte), with a self-signed certificate for 127.0.0.1
    (:attr:`ca_bundle`). ``login``/``password``: AUTH is required and checked.
    """

    def __init__(self, *, security: str = "NONE", login: str = "", password: str = "") -> None:
        if security not in SECURITY:
            raise ValueError(f"security must be one of {SECURITY}")
        self.security = security
        self.login = login
        self.password = password
        self.host = "127.0.0.1"
        self.port = 0
        self.ca_bundle = ""
        self.received: list[Received] = []
        self.log: list[str] = []
        self._script: dict[str, deque[str]] = {stage: deque() for stage in STAGES}
        self._refused: dict[str, str] = {}
        self._changed = threading.Condition()
        self._controller: _Controller | None = None

    # ------------------------------------------------------------- scripting

    def script(self, stage: str, reply: str, *, times: int = 1) -> None:
        """Answer the next ``times`` ``stage`` commands (MAIL, RCPT, DATA) with ``reply``."""
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}")
        with self._changed:
            self._script[stage].extend([reply] * times)

    def refuse(self, address: str, reply: str = "550 5.1.1 No such user") -> None:
        """Refuse ``address`` at RCPT with ``reply``, every time."""
        with self._changed:
            self._refused[address.lower()] = reply

    def _scripted(self, stage: str) -> str | None:
        with self._changed:
            return self._script[stage].popleft() if self._script[stage] else None

    def _answer(self, stage: str, reply: str) -> str:
        with self._changed:
            self.log.append(f"{stage} {reply}")
            self._changed.notify_all()
        return reply

    def _keep(self, received: Received) -> None:
        with self._changed:
            self.received.append(received)
            self._changed.notify_all()

    # ------------------------------------------------------------- waiting

    def wait_until(self, predicate: Callable[[SmtpServer], bool], timeout: float = 5.0) -> None:
        """Block until ``predicate(self)`` holds, or raise AssertionError after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"condition not met within {timeout}s; log: {self.log}, "
                        f"received: {len(self.received)}"
                    )
                self._changed.wait(min(left, 0.05))

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Wait until at least ``count`` messages were accepted; return them."""
        self.wait_until(lambda server: len(server.received) >= count, timeout)
        with self._changed:
            return list(self.received)

    # ------------------------------------------------------------- serving

    def _tls_context(self) -> ssl.SSLContext:
        cert, key = self_signed_certificate()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.ca_bundle = str(cert)
        return context

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == self.login
            and data.password.decode() == self.password
        )
        # Not handled on failure: aiosmtpd answers 535 (credentials invalid) itself.
        return AuthResult(success=ok, handled=ok, auth_data=data if ok else None)

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"hostname": self.host}
        if self.security == "SSL":
            options["ssl_context"] = self._tls_context()
        elif self.security == "STARTTLS":
            options["tls_context"] = self._tls_context()
            options["require_starttls"] = True
        if self.login:
            options["authenticator"] = self._authenticate
            options["auth_required"] = True
            # Plain sessions may log in too: the client under test decides, not us.
            options["auth_require_tls"] = False
        return options

    def start(self) -> SmtpServer:
        self.port = free_port()
        self._controller = _Controller(_Handler(self), port=self.port, **self._options())
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_port() -> int:
    """A TCP port nothing listens on at this moment (for a server, or a refused connection)."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
