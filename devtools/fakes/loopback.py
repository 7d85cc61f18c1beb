"""What every fake service on loopback shares: a threaded HTTP server, a log of the
requests it answered, scripted replies and waiting on the log without sleeping.

A fake subclasses :class:`LoopbackService` and implements :meth:`LoopbackService.answer`,
which judges one :class:`Received` request by the service's documented contract and
returns ``(status, JSON body, headers)``; a scripted :class:`Scripted` reply, when one
is queued, is given instead (rate limits, outages), after the request was read.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, Self, TypeVar
from urllib.parse import parse_qsl, urlsplit

#: Larger bodies are refused unread (413), as a real front end does.
MAX_BODY = 60 * 1024 * 1024


@dataclass
class Received:
    """One request as the fake saw it and what it answered.

    ``fields``: the parameters of the query string, a form or multipart body (text
    parts) or a JSON object body; ``files``: multipart file parts by name as
    ``(filename, content type, bytes)``; ``json``: the parsed JSON body, if any.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    received_at: float
    fields: dict[str, Any] = field(default_factory=dict)
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)
    json: Any = None
    status: int = 0
    answer: Any = None

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), "")


@dataclass(frozen=True)
class Scripted:
    """A reply given instead of the real answer: ``status``, JSON ``body``, ``headers``."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def parse_body(record: Received) -> None:
    """Fill ``fields``, ``files`` and ``json`` of ``record`` from its body and query."""
    record.fields.update(record.query)
    content_type = record.header("Content-Type")
    if not record.body:
        return
    if content_type.startswith("application/json"):
        try:
            record.json = json.loads(record.body)
        except ValueError:
            return
        if isinstance(record.json, dict):
            record.fields.update(record.json)
    elif content_type.startswith("application/x-www-form-urlencoded"):
        text = record.body.decode("utf-8", "replace")
        record.fields.update(parse_qsl(text, keep_blank_values=True))
    elif content_type.startswith("multipart/form-data"):
        head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
        message = BytesParser(policy=HTTP).parsebytes(head + record.body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if not isinstance(name, str) or not isinstance(payload, bytes):
                continue
            filename = part.get_filename()
            if filename is None:
                record.fields[name] = payload.decode("utf-8", "replace")
            else:
                record.files[name] = (filename, part.get_content_type(), payload)


class _Logged(Protocol):
    method: str
    path: str
    status: int


R = TypeVar("R", bound=_Logged)


def wait_on_log(
    lock: threading.Condition, log: list[R], predicate: Callable[[list[R]], bool], timeout: float
) -> list[R]:
    """Block until ``predicate`` holds for a copy of ``log`` (guarded by ``lock``, which
    is notified on every request; re-checked every 50 ms too); return that copy, or
    raise AssertionError listing the log after ``timeout`` seconds."""
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

    def do_POST(self) -> None:
        self.server.service.serve(self)

    do_GET = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_POST


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    service: LoopbackService


class LoopbackService:
    """A fake service listening on ``127.0.0.1`` (an ephemeral port unless given)."""

    def __init__(self, port: int = 0) -> None:
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Condition()
        self._log: list[Received] = []
        self._scripts: list[Scripted] = []

    # ---------------------------------------------------------- life cycle

    def start(self) -> Self:
        server = _Server(("127.0.0.1", self._port), _Handler)
        server.service = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "the fake is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # ------------------------------------------------------------- control

    def script(self, reply: Scripted, times: int = 1) -> None:
        """Answer the next ``times`` requests with ``reply`` instead of judging them."""
        with self._lock:
            self._scripts.extend([reply] * times)

    @property
    def log(self) -> list[Received]:
        with self._lock:
            return list(self._log)

    def wait_for(
        self, predicate: Callable[[list[Received]], bool], timeout: float = 5.0
    ) -> list[Received]:
        """Block until ``predicate(log)`` holds; see :func:`wait_on_log`."""
        return wait_on_log(self._lock, self._log, predicate, timeout)

    # ------------------------------------------------------------- serving

    def answer(self, record: Received) -> tuple[int, Any, dict[str, str]]:
        """The service's answer to ``record``: status, JSON body (None: empty), headers."""
        raise NotImplementedError

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        parts = urlsplit(handler.path)
        record = Received(
            method=handler.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers=dict(handler.headers.items()),
            body=b"",
            received_at=time.time(),
        )
        if length > MAX_BODY:
            status, body, headers = 413, {"error": "Request Entity Too Large"}, {}
            handler.close_connection = True
        else:
            record.body = handler.rfile.read(length)
            parse_body(record)
            with self._lock:
                scripted = self._scripts.pop(0) if self._scripts else None
            if scripted is not None:
                status, body, headers = scripted.status, scripted.body, dict(scripted.headers)
            else:
                status, body, headers = self.answer(record)
        record.status, record.answer = status, body
        with self._lock:  # logged before the answer leaves: a client that has it sees it
            self._log.append(record)
            self._lock.notify_all()
        data = b"" if body is None else json.dumps(body).encode()
        handler.send_response(status)
        if data:
            handler.send_header("Content-Type", "application/json")
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(data)
