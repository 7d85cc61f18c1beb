"""What every fake outside service shares: a loopback HTTP server, a log, scripted answers.

A fake service (:class:`FakeService` subclass) implements :meth:`FakeService.handle`,
which judges one :class:`Recorded` request by the service's documented contract and
returns an :class:`Answer` or raises :class:`Refusal`. The base records every request
with what it answered, lets a test script answers ahead
(``fake.script(Reply.rate_limited(1), times=3)``) and wait for the log to reach a
state (``fake.wait_for(...)``) without sleeping. A service that checks credentials
before its rate limit (AWS, Azure, Google) is faked by also implementing
:meth:`FakeService.unauthorized`: its refusal comes before any scripted reply, and
what the request proved (``signer``) is logged with it.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, Self, TypeVar
from urllib.parse import parse_qsl, urlsplit

#: The body limit of a real service's front end: larger bodies are refused unread (413).
FRONT_END_MAX_BODY = 60 * 1024 * 1024


@dataclass(frozen=True)
class FormFile:
    """One file part of a ``multipart/form-data`` body."""

    name: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class Recorded:
    """One request the fake received and what it answered.

    ``headers`` keys are lower case; ``query`` and ``form`` hold the last value of
    each name; ``status`` 0 = not answered yet. ``accepted``: the service acted on it
    (a 2xx the fake did not mark otherwise: a 2xx is not always acceptance, e.g.
    Slack's ``ok: false``). ``signer``: who the request's credentials proved it came
    from (an access key id, a service account), where the fake checks them;
    ``error``: the service's error code or reason in the answer, if any.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    received_at: float
    status: int = 0
    answer: Any = None
    answer_headers: dict[str, str] = field(default_factory=dict)
    accepted: bool = False
    scripted: bool = False
    signer: str = ""
    error: str = ""

    def header(self, name: str) -> str:
        """The value of header ``name`` (any case), or ``""``."""
        return self.headers.get(name.lower(), "")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def json(self) -> Any:
        """The body parsed as JSON (None when it is not JSON)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def form(self) -> dict[str, str]:
        """Fields of a URL-encoded body, or the text fields of a multipart one."""
        if self.content_type == "application/x-www-form-urlencoded":
            return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))
        if self.content_type == "multipart/form-data":
            return {
                str(part.get_param("name", header="content-disposition")): _text(part)
                for part in self._parts()
                if part.get_filename() is None
            }
        return {}

    @property
    def fields(self) -> dict[str, Any]:
        """The request's parameters: its query, then its form fields or JSON object."""
        found: dict[str, Any] = dict(self.query)
        found.update(self.form)
        if self.content_type == "application/json" and isinstance(self.json, dict):
            found.update(self.json)
        return found

    def file(self, name: str) -> FormFile | None:
        """The multipart file part named ``name``, if any."""
        return next((part for part in self.files if part.name == name), None)

    @property
    def files(self) -> list[FormFile]:
        """The file parts of a ``multipart/form-data`` body, in order."""
        if self.content_type != "multipart/form-data":
            return []
        found = []
        for part in self._parts():
            if part.get_filename() is None:
                continue
            data = part.get_payload(decode=True)
            name = str(part.get_param("name", header="content-disposition"))
            content = data if isinstance(data, bytes) else b""
            found.append(FormFile(name, str(part.get_filename()), part.get_content_type(), content))
        return found

    def _parts(self) -> list[EmailMessage]:
        head = f"Content-Type: {self.headers.get('content-type', '')}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + self.body)
        if not message.is_multipart():
            return []
        return [part for part in message.iter_parts() if isinstance(part, EmailMessage)]


def _text(part: EmailMessage) -> str:
    """A form field's value, whatever its part's content type says."""
    data = part.get_payload(decode=True)
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data or "")


@dataclass(frozen=True)
class Answer:
    """What the fake sends back: a status, a JSON-able body (bytes/str sent as is) and
    the service's ``error`` code or reason it stands for (logged, not sent)."""

    status: int = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    accepted: bool = True
    error: str = ""


class Refusal(Exception):
    """A request the service refuses, with the answer it gives."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(f"{answer.status}: {answer.body}")
        self.answer = answer


@dataclass(frozen=True)
class Reply:
    """A scripted answer replacing the normal handling of one request.

    ``path_suffix`` restricts it to requests whose path ends so (other requests are
    handled normally and do not consume it). ``lose_answer``: handle the request
    normally (the service acts on it), then reset the connection instead of answering.
    """

    answer: Answer | None
    path_suffix: str = ""
    lose_answer: bool = False

    @classmethod
    def lost_answer(cls, *, path_suffix: str = "") -> Reply:
        """The service acts on the request, and its answer never reaches the client."""
        return cls(None, path_suffix, lose_answer=True)

    @classmethod
    def status(cls, status: int, body: Any = None, *, path_suffix: str = "") -> Reply:
        return cls(Answer(status, body, accepted=False), path_suffix)

    @classmethod
    def rate_limited(cls, retry_after_s: int, body: Any = None, *, path_suffix: str = "") -> Reply:
        """429 Too Many Requests with ``Retry-After`` seconds (RFC 6585 §4)."""
        headers = {"Retry-After": str(retry_after_s)}
        return cls(Answer(429, body, headers, accepted=False), path_suffix)


@dataclass
class _Script:
    reply: Reply
    remaining: int


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body leave as two writes: without this, delayed ACKs add ~40 ms
        # to every answer on a kept-alive connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.fake.serve(self)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeService

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up mid-request are part of the tests


class FakeService:
    """A fake HTTP service on ``127.0.0.1`` (a free port unless given); use as a
    context manager."""

    #: The path prefix of the service's API on this server.
    name = "service"
    #: Larger bodies are refused unread with 413; None: no limit before :meth:`handle`.
    max_body: int | None = None

    def __init__(self, *, port: int = 0, clock: Callable[[], float] = time.time) -> None:
        self.port = port
        self.clock = clock
        self._lock = threading.Condition()
        self._log: list[Recorded] = []
        self._scripts: list[_Script] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ life cycle

    def start(self) -> Self:
        server = _Server(("127.0.0.1", self.port), _Handler)
        server.fake = self
        self._server = server
        # A short poll interval: stop() waits for it, and tests start many fakes.
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.02,), name=f"fake-{self.name}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        assert self._server is not None, "the fake is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # ------------------------------------------------------------- scripting

    def script(self, reply: Reply, times: int = 1) -> None:
        """Answer the next ``times`` matching requests with ``reply``."""
        with self._lock:
            self._scripts.append(_Script(reply, times))

    @property
    def log(self) -> list[Recorded]:
        """A snapshot of every answered request, in arrival order."""
        with self._lock:
            return list(self._log)

    def wait_for(
        self, predicate: Callable[[list[Recorded]], bool], timeout: float = 5.0
    ) -> list[Recorded]:
        """Block until ``predicate(log)`` holds; return that log or raise AssertionError."""
        return wait_until(self._lock, self._log, predicate, timeout)

    # --------------------------------------------------------------- serving

    def handle(self, request: Recorded) -> Answer:
        """The service's answer to ``request``; raise :class:`Refusal` to refuse it."""
        raise NotImplementedError

    def unauthorized(self, request: Recorded) -> Answer | None:
        """The answer refusing ``request``'s credentials, checked before any scripted
        reply; None when they hold (noting ``request.signer``). By default: no check."""
        return None

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        split = urlsplit(handler.path)
        record = Recorded(
            method=handler.command,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=b"",
            received_at=self.clock(),
        )
        reply = None
        if self.max_body is not None and length > self.max_body:
            answer = Answer(413, {"error": "Request Entity Too Large"}, accepted=False)
            handler.close_connection = True
        else:
            record.body = handler.rfile.read(length) if length else b""
            answer, reply = self._answer(record)
        record.status, record.answer, record.error = answer.status, answer.body, answer.error
        record.answer_headers = dict(answer.headers)
        record.accepted = answer.accepted and 200 <= answer.status < 300
        with self._lock:
            self._log.append(record)
            self._lock.notify_all()
        if reply is not None and reply.lose_answer:
            record.scripted = True
            reset_connection(handler)
            return
        _respond(handler, answer)

    def _answer(self, record: Recorded) -> tuple[Answer, Reply | None]:
        """:meth:`unauthorized`'s refusal, else the scripted reply, else :meth:`handle`'s."""
        unauthorized = self.unauthorized(record)
        if unauthorized is not None:
            return unauthorized, None
        reply = self._take_script(record)
        if reply is not None and reply.answer is not None:
            record.scripted = True
            return reply.answer, reply
        try:
            return self.handle(record), reply
        except Refusal as refusal:
            return refusal.answer, reply

    def _take_script(self, record: Recorded) -> Reply | None:
        with self._lock:
            if not self._scripts:
                return None
            head = self._scripts[0]
            if not record.path.endswith(head.reply.path_suffix):
                return None
            head.remaining -= 1
            if head.remaining <= 0:
                self._scripts.pop(0)
            return head.reply


class _Logged(Protocol):
    method: str
    path: str
    status: int


R = TypeVar("R", bound=_Logged)


def wait_until(
    lock: threading.Condition, log: list[R], predicate: Callable[[list[R]], bool], timeout: float
) -> list[R]:
    """Block until ``predicate`` holds for a snapshot of ``log`` (appended under ``lock``,
    which is notified on each request); return it, or raise AssertionError naming every
    request once ``timeout`` seconds passed. Re-checks at least every 50 ms."""
    deadline = time.monotonic() + timeout
    with lock:
        while True:
            snapshot = list(log)
            if predicate(snapshot):
                return snapshot
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"condition not met within {timeout}s; log: "
                    + ", ".join(f"{r.method} {r.path} -> {r.status}" for r in snapshot)
                )
            lock.wait(min(left, 0.05))


def reset_connection(handler: BaseHTTPRequestHandler) -> None:
    """Close with RST (SO_LINGER 0) so the client sees a reset, not a clean EOF."""
    handler.close_connection = True
    with contextlib.suppress(OSError):
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()


def _respond(handler: BaseHTTPRequestHandler, answer: Answer) -> None:
    handler.send_response(answer.status)
    headers = dict(answer.headers)
    data = b""
    if isinstance(answer.body, bytes):
        data = answer.body
    elif isinstance(answer.body, str):
        data = answer.body.encode("utf-8")
        headers.setdefault("Content-Type", "text/plain; charset=utf-8")
    elif answer.body is not None:
        data = json.dumps(answer.body).encode("utf-8")
        headers.setdefault("Content-Type", "application/json; charset=utf-8")
    for name, value in headers.items():
        handler.send_header(name, value)
    if answer.status != 204:
        handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    if data and handler.command != "HEAD" and answer.status != 204:
        handler.wfile.write(data)
