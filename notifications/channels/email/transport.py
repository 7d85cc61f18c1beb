"""SMTP: one email notification sent through the mail client (Python's ``smtplib``).

Each send opens a connection (plain, STARTTLS or TLS from the first byte), logs in
when a login is set, hands the message over and quits: notifications are rare
enough that holding a connection open buys nothing and costs a stale-connection
failure mode.

Classification (RFC 5321 §4.2.1): a 4xx reply is a transient failure (greylisting,
a full queue, 421 "service not available") and is retried; a 5xx reply is permanent
(unknown mailbox, refused sender, failed login) and is not. A connection refused, a
timeout or a dropped connection is transient. When the connection drops after the
message data left and before the server's reply, the server may already have taken
the message: the error says so (``maybe_delivered``), and since a mailbox cannot be
asked what it received (:meth:`Transport.arrivals` stays unavailable) the delivery
sends it again: at least once, never lost.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

from notifications.channels.base import Footprint, Sent, Transport, TransportError
from notifications.channels.http import redact

SECURITY_MODES = ("NONE", "STARTTLS", "SSL")
#: The reply code of an accepted message.
OK = 250


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the mail server and who the mail is from."""

    host: str
    port: int
    security: str = "STARTTLS"
    login: str = ""
    password: str = ""
    sender: str = ""
    sender_name: str = ""
    verify_tls: bool = True
    timeout_s: float = 30.0

    def __repr__(self) -> str:
        return f"SmtpSettings({self.host!r}, {self.port}, {self.security})"


def is_transient_reply(code: int) -> bool:
    """Whether an SMTP reply ``code`` may succeed later (4xx)."""
    return 400 <= code < 500


class SmtpTransport(Transport):
    """Sends :class:`~email.message.EmailMessage` objects through one SMTP server."""

    label = "SMTP"

    def __init__(self, settings: SmtpSettings, *, clock: Callable[[], float] = time.monotonic):
        if not settings.host:
            raise TransportError("mail client: no SMTP host configured", permanent=True)
        if not settings.sender:
            raise TransportError("mail client: no sender address configured", permanent=True)
        if settings.security not in SECURITY_MODES:
            raise TransportError(
                f"mail client: unknown security {settings.security!r}", permanent=True
            )
        self.settings = settings
        self._clock = clock
        self.before_send = None

    def answer_timeout_s(self) -> float:
        # Connecting and the final reply after the data each wait up to the timeout.
        return 2 * self.settings.timeout_s

    def tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if not self.settings.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def send_email(self, message: EmailMessage, recipients: tuple[str, ...]) -> Sent:
        """Hand ``message`` to the server for ``recipients``; :class:`Sent` with the
        message's Message-ID, or :class:`TransportError` classified as above.

        Recipients the server refused while it took the message for others are named
        in the answer's text (the message was delivered to the rest).
        """
        settings = self.settings
        if self.before_send is not None:
            self.before_send(footprint_of(message, recipients))
        started = self._clock()
        stage = "connect"
        try:
            with self._connect() as smtp:
                if settings.security == "STARTTLS":
                    stage = "starttls"
                    smtp.starttls(context=self.tls_context())
                if settings.login:
                    stage = "login"
                    smtp.login(settings.login, settings.password)
                stage = "data"
                refused = smtp.send_message(
                    message, from_addr=settings.sender, to_addrs=list(recipients)
                )
                stage = "quit"
        except smtplib.SMTPRecipientsRefused as exc:
            raise self._refused(exc, started) from None
        except smtplib.SMTPResponseException as exc:
            if stage == "quit":  # the message was taken; only the goodbye failed
                return self._sent(message, {}, started)
            raise self._reply_error(exc.smtp_code, exc.smtp_error, stage, started) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise self._error(f"{stage}: {exc}", permanent=True, started=started) from None
        except ssl.SSLCertVerificationError as exc:
            reason = exc.verify_message or str(exc)
            message_text = f"TLS certificate of {settings.host} not trusted: {reason}"
            raise self._error(message_text, permanent=True, started=started) from None
        except (smtplib.SMTPException, OSError) as exc:
            if stage == "quit":
                return self._sent(message, {}, started)
            reason = str(exc) or type(exc).__name__
            raise self._error(
                f"cannot reach {settings.host}:{settings.port} ({stage}): {reason}",
                permanent=False,
                started=started,
                maybe_delivered=stage == "data",
            ) from None
        return self._sent(message, refused, started)

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        if settings.security == "SSL":
            return smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout_s, context=self.tls_context()
            )
        return smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s)

    def _elapsed_ms(self, started: float) -> float:
        return (self._clock() - started) * 1000

    def _sent(
        self, message: EmailMessage, refused: dict[str, tuple[int, bytes]], started: float
    ) -> Sent:
        text = "; ".join(
            f"{address} refused: {code} {_text(reply)}"
            for address, (code, reply) in refused.items()
        )
        return Sent(OK, self._elapsed_ms(started), self._redact(text), str(message["Message-ID"]))

    def _refused(self, exc: smtplib.SMTPRecipientsRefused, started: float) -> TransportError:
        """Every recipient refused: transient if any refusal was (a 4xx)."""
        replies = exc.recipients
        transient = any(is_transient_reply(code) for code, _ in replies.values())
        detail = "; ".join(
            f"{address}: {code} {_text(reply)}" for address, (code, reply) in replies.items()
        )
        code = next(iter(replies.values()))[0] if replies else None
        return self._error(
            f"every recipient refused: {detail}",
            permanent=not transient,
            started=started,
            code=code,
        )

    def _reply_error(
        self, code: int, reply: bytes | str, stage: str, started: float
    ) -> TransportError:
        transient = is_transient_reply(code) or code == -1  # -1: smtplib saw no reply code
        return self._error(
            f"{stage}: {code} {_text(reply)}",
            permanent=not transient,
            started=started,
            code=code if code > 0 else None,
            maybe_delivered=stage == "data" and code == -1,
        )

    def _error(
        self,
        text: str,
        *,
        permanent: bool,
        started: float,
        code: int | None = None,
        maybe_delivered: bool = False,
    ) -> TransportError:
        return TransportError(
            self._redact(f"{self.label} error: {text}"),
            permanent=permanent,
            status=code,
            elapsed_ms=self._elapsed_ms(started),
            maybe_delivered=maybe_delivered,
        )

    def _redact(self, text: str) -> str:
        return redact(text, (self.settings.password,))


def footprint_of(message: EmailMessage, recipients: tuple[str, ...]) -> Footprint:
    """What one email leaves: the recipients' mailboxes, its subject and Message-ID."""
    return Footprint(
        room=", ".join(recipients),
        kind="email",
        text=str(message["Subject"]),
        file_name=str(message["Message-ID"]),
    )


def _text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        return reply.decode("utf-8", "replace")
    return reply
