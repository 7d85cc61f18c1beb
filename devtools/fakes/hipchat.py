"""A fake HipChat REST API v2 server on loopback, for tests and dry runs.

It implements the contract and the fake-server checklist of
``../shared/spec/hipchat-v2.md`` (§4) as a real HTTP(S) server, so the product's
transport talks HTTP to it exactly as to HipChat and never knows.

Typical use::

    with HipChatFake() as fake:                       # or the tests' ``hipchat_fake`` fixture
        room = fake.add_room("Ops Alerts")
        token = fake.add_token(scopes=["send_notification"])
        fake.script(Reply.rate_limited(reset_in_s=2), times=5)   # next 5 → 429
        fake.script(Reply(status=503), times=2)                   # then 503 twice
        ...  # client posts to f"{fake.url}/v2/room/Ops%20Alerts/notification"
        fake.wait_for(lambda log: len(log) >= 8)
        [msg] = fake.room_messages(room)
        assert msg.json["color"] == "red" and msg.auth_method == "header"

Everything it decides is recorded in :attr:`HipChatFake.log` (one
:class:`RecordedRequest` per request, accepted or not); helpers poll with a
timeout instead of sleeping.

Outages (§4.7's faults, for as long as a test needs): ``fake.go_down(for_s=20)``
refuses connections for 20 s, then listens again on the same port;
``fake.go_down(status=503)`` answers 503 to everything until ``fake.come_back()``.

Every accepted notification, message and shared file becomes a room message with
an id and a date, listed by the room's history: ``GET /v2/room/{room}/history``
(``date`` = ``recent`` (the newest 75) or the latest date, ``end-date``,
``start-index``, ``max-results`` 0 to 1000 (100), ``reverse`` (true: oldest first))
and ``GET /v2/room/{room}/history/latest`` (``max-results`` 0 to 1000 (75),
``not-before`` = the oldest message id wanted), scope ``view_messages``. The
spec's §1.4 has no history method; this shape (items with ``id``, ``date``,
``type`` ``notification`` or ``message``, ``from``, ``message``,
``message_format``, ``color``, ``file``) is inferred from client libraries
(viascom/hipchat-api ``ViewRoomHistory``/``ViewRecentRoomHistory`` and ``Message``).
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import json
import math
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from devtools.fakes.service import reset_connection, wait_until

SCOPES = (
    "admin_group",
    "admin_room",
    "manage_rooms",
    "send_message",
    "send_notification",
    "view_group",
    "view_messages",
    "view_room",
)
COLORS = ("yellow", "green", "red", "purple", "gray", "random")
FORMATS = ("html", "text")
CARD_STYLES = ("file", "image", "application", "link", "media")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MESSAGE_ENDPOINTS = ("notification", "message", "share/file")

AUTH_REQUIRED = (
    "Authenticated requests only. See https://www.hipchat.com/docs/apiv2/auth for more information."
)
INVALID_SESSION = "Invalid OAuth session"


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Room:
    """A room known to the fake."""

    id: int
    name: str
    topic: str = ""
    privacy: str = "public"


@dataclass(frozen=True)
class Token:
    """An access token. ``room_id`` set = a room notification token bound to that room."""

    value: str
    scopes: frozenset[str]
    room_id: int | None = None


@dataclass(frozen=True)
class User:
    """A user known to ``GET /v2/user/{id | email | @mention}``."""

    id: int
    name: str
    mention_name: str
    email: str


@dataclass(frozen=True)
class Part:
    """One part of a ``multipart/related`` body, transfer-decoded."""

    headers: Mapping[str, str]
    name: str | None
    filename: str | None
    content_type: str
    data: bytes


@dataclass
class RecordedRequest:
    """What the fake received and what it answered.

    ``headers`` keys are lower case. ``auth_method`` is ``header``, ``query``,
    ``both`` or None. ``status`` 0 = connection dropped without an answer.
    ``metadata`` is the parsed JSON of the share/file ``metadata`` part and
    ``file`` the ``name="file"`` part.
    """

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    received_at: float
    endpoint: str | None = None
    room: Room | None = None
    token: str | None = None
    auth_method: str | None = None
    json: Any = None
    parts: list[Part] = field(default_factory=list)
    metadata: dict[str, Any] | None = None
    file: Part | None = None
    auth_test: bool = False
    scripted: bool = False
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: Any = None
    message_id: str | None = None  # the room message it became (accepted posts only)

    @property
    def accepted(self) -> bool:
        """True when the fake acted on it: a 2xx that was not an ``auth_test``."""
        return 200 <= self.status < 300 and not self.auth_test


@dataclass(frozen=True)
class Reply:
    """A scripted answer that replaces normal handling of one request.

    ``status`` None means "handle normally" (useful with ``delay_s`` for slow
    replies). ``body`` None with an error status gets the §1.5 error body.
    ``reset_in_s`` makes it a rate-limit answer: Remaining 0 and Reset that many
    seconds ahead on the rate-limit family (``flood=True``: flood control).
    ``drop`` closes the connection with a TCP reset after reading the request.
    ``hold_s`` answers only that many seconds after acting on the request (the
    message is already in the room and in the log): an answer that may never
    reach a client that dies meanwhile.
    ``endpoint`` restricts the reply to one endpoint (``notification``, ...).
    """

    status: int | None = None
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    drop: bool = False
    hold_s: float = 0.0
    reset_in_s: float | None = None
    flood: bool = False
    endpoint: str | None = None

    @classmethod
    def rate_limited(cls, reset_in_s: float = 2.0, *, flood: bool = False) -> Reply:
        """429 Too Many Requests, Remaining 0, reset ``reset_in_s`` ahead."""
        return cls(status=429, reset_in_s=reset_in_s, flood=flood)

    @classmethod
    def v1_rate_limited(cls) -> Reply:
        """The v1-era 403 for an exhausted limit (hipchat-rb PR #146)."""
        return cls(
            status=403,
            body={
                "error": {
                    "code": 403,
                    "type": "Forbidden",
                    "message": "You have exceeded the rate limit. Please wait and try again.",
                }
            },
        )

    @classmethod
    def slow(cls, delay_s: float, status: int | None = None) -> Reply:
        """Answer (normally, or with ``status``) only after ``delay_s`` seconds."""
        return cls(status=status, delay_s=delay_s)

    @classmethod
    def held(cls, hold_s: float, *, endpoint: str | None = None) -> Reply:
        """Act on the request normally, then hold the answer back for ``hold_s`` seconds."""
        return cls(hold_s=hold_s, endpoint=endpoint)

    @classmethod
    def dropped(cls) -> Reply:
        """Read the request, then reset the connection without answering."""
        return cls(drop=True)


@dataclass
class _Script:
    reply: Reply
    remaining: int


class _Window:
    """A fixed-window request counter (the shape HipChat's Reset header implies)."""

    def __init__(self, limit: int, period_s: float) -> None:
        self.limit = limit
        self.period_s = period_s
        self.started = -math.inf
        self.used = 0

    def _roll(self, now: float) -> None:
        if now >= self.started + self.period_s:
            self.started = now
            self.used = 0

    def take(self, now: float) -> bool:
        self._roll(now)
        if self.used >= self.limit:
            return False
        self.used += 1
        return True

    def state(self, now: float) -> tuple[int, int, int]:
        """(limit, remaining, reset as Unix seconds) without counting a request."""
        if now >= self.started + self.period_s:
            return self.limit, self.limit, math.ceil(now + self.period_s)
        return self.limit, max(0, self.limit - self.used), math.ceil(self.started + self.period_s)


class _HttpError(Exception):
    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


def error_body(status: int, message: str, **extra: Any) -> dict[str, Any]:
    """The §1.5 error body: code, type (reason phrase), message, plus validation keys."""
    error: dict[str, Any] = {
        "code": status,
        "type": HTTPStatus(status).phrase,
        "message": message,
    }
    error.update(extra)  # "value" may be null: attach_to=null is reported as sent
    return {"error": error}


def _invalid(field_name: str, value: Any, message: str, validation: str = "length") -> _HttpError:
    return _HttpError(400, message, field=field_name, validation=validation, value=value)


def _wrong_type(field_name: str, value: Any, expected: str) -> _HttpError:
    # Wording from jenkinsci/hipchat-plugin#39 (a Python 2 repr in the original).
    return _HttpError(
        400,
        f"Value {value!r} for field '{field_name}' is not of type '{expected}'",
        field=field_name,
        validation="type",
        expected_type=expected,
        value=value,
    )


def _check_length(field_name: str, value: Any, low: int, high: int) -> None:
    if not isinstance(value, str):
        raise _wrong_type(field_name, value, "string")
    if not low <= len(value) <= high:
        raise _invalid(
            field_name, value, f"Field '{field_name}' must be between {low} and {high} characters"
        )


# ------------------------------------------------------------------ multipart


def _split_lines(block: bytes) -> list[bytes]:
    return [line.rstrip(b"\r") for line in block.split(b"\n")]


def _header_param(value: str, name: str) -> str | None:
    """A parameter of a header value, quoted or not (hipchat-go sent ``name=file``)."""
    match = re.search(rf'(?i)(?:^|;)\s*{name}\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))', value)
    if not match:
        return None
    return match.group(1) if match.group(1) is not None else match.group(2)


def parse_multipart_related(content_type: str, body: bytes) -> list[Part]:
    """Parse a multipart body the way HipChat tolerated real clients.

    Accepts CRLF or bare LF, a missing closing ``--boundary--``, quoted or
    unquoted parameters and base64 or binary parts. Raises ValueError when there
    is no boundary or no part.
    """
    boundary = _header_param(content_type, "boundary")
    if not boundary:
        raise ValueError("no boundary in Content-Type")
    delimiter = b"--" + boundary.encode("latin-1")
    chunks = re.split(rb"(?:\r?\n)?" + re.escape(delimiter), body)
    parts: list[Part] = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = re.sub(rb"^[ \t]*\r?\n", b"", chunk, count=1)
        head, sep, data = _partition_headers(chunk)
        if not sep:
            continue
        headers: dict[str, str] = {}
        for line in _split_lines(head):
            if b":" in line:
                key, _, value = line.decode("utf-8", "replace").partition(":")
                headers[key.strip().lower()] = value.strip()
        if headers.get("content-transfer-encoding", "").lower() == "base64":
            data = base64.b64decode(re.sub(rb"\s+", b"", data), validate=False)
        disposition = headers.get("content-disposition", "")
        parts.append(
            Part(
                headers=headers,
                name=_header_param(disposition, "name"),
                filename=_header_param(disposition, "filename"),
                content_type=headers.get("content-type", "application/octet-stream"),
                data=data,
            )
        )
    if not parts:
        raise ValueError("no parts")
    return parts


def _partition_headers(chunk: bytes) -> tuple[bytes, bytes, bytes]:
    match = re.search(rb"\r?\n\r?\n", chunk)
    if match is None:
        return chunk, b"", b""
    return chunk[: match.start()], chunk[match.start() : match.end()], chunk[match.end() :]


def _parse_metadata(data: bytes) -> dict[str, Any]:
    text = data.decode("utf-8", "replace")
    try:
        value = json.loads(text)
    except ValueError:
        # hipchat-go pasted the message into the JSON without escaping it.
        match = re.search(r'"message"\s*:\s*"(.*)"\s*}\s*$', text, re.DOTALL)
        if not match:
            raise
        return {"message": match.group(1)}
    if not isinstance(value, dict):
        raise ValueError("metadata is not an object")
    return value


# ------------------------------------------------------------------------ TLS


_cert_lock = threading.Lock()
_cert_cache: dict[str, tuple[Path, Path]] = {}


def self_signed_certificate() -> tuple[Path, Path]:
    """(certificate, key) for 127.0.0.1/localhost, made once per process with ``openssl``."""
    with _cert_lock:
        if "pair" not in _cert_cache:
            openssl = shutil.which("openssl")
            if openssl is None:
                raise RuntimeError("the openssl CLI is needed for the HTTPS fake")
            directory = Path(tempfile.mkdtemp(prefix="hipchat-fake-tls-"))
            atexit.register(shutil.rmtree, directory, True)
            cert, key = directory / "cert.pem", directory / "key.pem"
            subprocess.run(
                [
                    openssl, "req", "-x509", "-nodes", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-keyout", str(key), "-out", str(cert), "-days", "2",
                    "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-addext", "basicConstraints=critical,CA:TRUE",
                ],
                check=True,
                capture_output=True,
                timeout=60,
            )  # fmt: skip
            _cert_cache["pair"] = (cert, key)
        return _cert_cache["pair"]


# --------------------------------------------------------------------- server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: HipChatFake
    ssl_context: ssl.SSLContext | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.ssl_context is None:
            self._serve_connection(request, client_address)
            return
        try:
            # Handshake in the worker thread, so a client refusing our cert blocks nothing.
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self._serve_connection(tls, client_address)
        finally:
            with contextlib.suppress(OSError):
                tls.close()

    def _serve_connection(self, connection: socket.socket, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(connection)
        try:
            super().finish_request(connection, client_address)
        finally:
            with self._open_lock:
                self._open.discard(connection)

    def drop_connections(self) -> None:
        """Cut every open connection, kept-alive ones included: a server that went away."""
        with self._open_lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up mid-request are part of the tests


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.fake._serve(self)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET


class HipChatFake:
    """A fake HipChat v2 server; see the module docstring.

    Options: ``tls`` serves HTTPS with a self-signed cert (:attr:`ca_bundle`);
    ``prefix`` mounts the API under a path (API gateway); ``token_limit`` /
    ``token_period_s`` (500 per 300 s; Server user tokens: 100) and
    ``flood_limit`` / ``flood_period_s`` (30 per 60 s, per room, notification and
    message); ``from_max`` 64 (early v2: 25); ``lenient_notify`` accepts
    ``"true"``/``"false"``; ``reject_unknown_fields`` 400s unknown notification
    keys (accepted by default: the docs never say); ``share_file_wrong_type_status``
    400 or 415; ``clock`` supplies Unix time for the limits; ``port`` 0 listens on a
    free port.
    """

    def __init__(
        self,
        *,
        port: int = 0,
        tls: bool = False,
        prefix: str = "",
        token_limit: int = 500,
        token_period_s: float = 300.0,
        flood_limit: int = 30,
        flood_period_s: float = 60.0,
        from_max: int = 64,
        lenient_notify: bool = False,
        reject_unknown_fields: bool = False,
        share_file_wrong_type_status: int = 400,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.tls = tls
        self.prefix = prefix.rstrip("/")
        self.token_limit = token_limit
        self.token_period_s = token_period_s
        self.flood_limit = flood_limit
        self.flood_period_s = flood_period_s
        self.from_max = from_max
        self.lenient_notify = lenient_notify
        self.reject_unknown_fields = reject_unknown_fields
        self.share_file_wrong_type_status = share_file_wrong_type_status
        self.clock = clock
        self._lock = threading.Condition()
        self._rooms: dict[int, Room] = {}
        self._tokens: dict[str, Token] = {}
        self._users: list[User] = []
        self._log: list[RecordedRequest] = []
        self._scripts: list[_Script] = []
        self._token_windows: dict[str, _Window] = {}
        self._room_windows: dict[int, _Window] = {}
        self._message_ids: set[str] = set()
        self._bound_port = port
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._outage_lock = threading.RLock()
        self._outage_timer: threading.Timer | None = None
        self._down = False
        self._down_status: int | None = None  # what an outage answers; None: refused
        self.came_back_at: float | None = None  # time.monotonic() when the last outage ended
        self.ca_bundle: str | None = None

    # ------------------------------------------------------------ life cycle

    def start(self) -> HipChatFake:
        """Listen on 127.0.0.1 and serve in a background thread."""
        server = _Server(("127.0.0.1", self._bound_port), _Handler)
        server.fake = self
        if self.tls:
            cert, key = self_signed_certificate()
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            server.ssl_context = context
            self.ca_bundle = str(cert)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self._bound_port = server.server_address[1]
        return self

    def stop(self) -> None:
        """Stop serving; slow scripted replies still waiting are released."""
        with self._outage_lock:
            self._end_outage_timer()
            self._down, self._down_status = False, None
        self._stop_listening()

    def _stop_listening(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.drop_connections()  # before held answers are released below
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    # ------------------------------------------------------------- outages

    def go_down(self, for_s: float | None = None, *, status: int | None = None) -> None:
        """An outage, for ``for_s`` seconds or until :meth:`come_back`; state and log stay.

        ``status`` None: the server is gone. It stops listening (new connections are
        refused) and cuts the connections clients keep alive; held answers are never
        sent. ``status`` 5xx: what a proxy in front of a HipChat that is down answers.
        Every request gets that status with the §1.5 error body, is logged
        (``scripted``), and changes nothing (no room message, no limit counted).
        """
        assert status is None or 500 <= status < 600, "an outage answers 5xx"
        with self._outage_lock:
            assert not self._down, "already down"
            if status is None:
                self._stop_listening()
                self._stopping = threading.Event()
            self._down, self._down_status = True, status
            if for_s is not None:
                self._outage_timer = threading.Timer(for_s, self.come_back)
                self._outage_timer.daemon = True
                self._outage_timer.start()

    def come_back(self) -> None:
        """End the outage: listen again on the same port, or answer normally again."""
        with self._outage_lock:
            self._end_outage_timer()
            if self._down and self._down_status is None:
                self.start()
            self._down, self._down_status = False, None
            self.came_back_at = time.monotonic()

    def _end_outage_timer(self) -> None:
        if self._outage_timer is not None:
            self._outage_timer.cancel()
            self._outage_timer = None

    @property
    def down(self) -> bool:
        """True during an outage (:meth:`go_down` until it ends)."""
        return self._down

    def __enter__(self) -> HipChatFake:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._bound_port, "start() the fake first"
        return self._bound_port

    @property
    def url(self) -> str:
        """The server root to configure as the endpoint's base URL (no ``/v2``)."""
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}{self.prefix}"

    # ------------------------------------------------------------- set-up

    def add_room(self, name: str, room_id: int | None = None, **extra: Any) -> Room:
        """Create a room; ids count up from 1 unless given."""
        with self._lock:
            rid = room_id if room_id is not None else max(self._rooms, default=0) + 1
            room = Room(id=rid, name=name, **extra)
            self._rooms[rid] = room
            return room

    def add_token(
        self,
        value: str | None = None,
        *,
        scopes: Sequence[str] = ("send_notification", "send_message"),
        room: Room | None = None,
    ) -> str:
        """Register a token and return its value. ``room`` makes a room notification token."""
        unknown = set(scopes) - set(SCOPES)
        assert not unknown, f"unknown scopes {unknown}"
        value = value or uuid.uuid4().hex
        with self._lock:
            self._tokens[value] = Token(value, frozenset(scopes), room.id if room else None)
        return value

    def add_user(self, name: str, mention_name: str, email: str) -> User:
        """Create a user for ``GET /v2/user/...``."""
        with self._lock:
            user = User(len(self._users) + 1, name, mention_name, email)
            self._users.append(user)
            return user

    def script(self, reply: Reply, times: int = 1) -> None:
        """Queue ``reply`` for the next ``times`` matching requests (FIFO across calls)."""
        with self._lock:
            self._scripts.append(_Script(reply, times))

    @property
    def scripted_left(self) -> int:
        """Scripted replies not yet used by a request."""
        with self._lock:
            return sum(script.remaining for script in self._scripts)

    def reset(self) -> None:
        """Forget the log, scripts, limit counters and message ids (rooms and tokens stay)."""
        with self._lock:
            self._log.clear()
            self._scripts.clear()
            self._token_windows.clear()
            self._room_windows.clear()
            self._message_ids.clear()
            self._lock.notify_all()

    # ---------------------------------------------------------- assertions

    @property
    def log(self) -> list[RecordedRequest]:
        """A snapshot of every request so far, in arrival order."""
        with self._lock:
            return list(self._log)

    def room_messages(self, room: Room | str | int) -> list[RecordedRequest]:
        """Accepted notification/message/share-file requests for ``room``, in order."""
        target = self._resolve_room(room)
        return [
            r
            for r in self.log
            if r.accepted and r.endpoint in MESSAGE_ENDPOINTS and r.room == target
        ]

    def wait_for(
        self,
        predicate: Callable[[list[RecordedRequest]], bool],
        timeout: float = 5.0,
    ) -> list[RecordedRequest]:
        """Block until ``predicate(log)`` holds; return that log or raise AssertionError.

        Re-checks on every new request and at least every 50 ms until ``timeout``.
        """
        return wait_until(self._lock, self._log, predicate, timeout)

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        """Wait until at least ``count`` requests were answered (or dropped)."""
        return self.wait_for(lambda log: len(log) >= count, timeout)

    # ------------------------------------------------------------- serving

    def _resolve_room(self, room: Room | str | int) -> Room | None:
        if isinstance(room, Room):
            return room
        with self._lock:
            if isinstance(room, int) or room.isdigit():
                return self._rooms.get(int(room))
            return next((r for r in self._rooms.values() if r.name == room), None)

    def _serve(self, handler: _Handler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        split = urlsplit(handler.path)
        record = RecordedRequest(
            method=handler.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
            received_at=self.clock(),
        )
        if record.path == f"{self.prefix}/_fake/reset" and record.method == "POST":
            # The control endpoint is not HipChat: no script, no log entry.
            self.reset()
            self._respond(handler, 204, None, {})
            return
        self._parse_for_log(record)
        status = self._down_status
        if status is not None:
            record.scripted, record.status = True, status
            record.response_body = error_body(status, HTTPStatus(status).phrase)
            self._record(record)
            self._respond(handler, status, record.response_body, {})
            return
        reply = self._take_script(record)
        if reply is not None and reply.delay_s:
            self._stopping.wait(reply.delay_s)
        if reply is not None and reply.drop:
            self._record(record)  # status 0: no answer
            reset_connection(handler)
            return
        try:
            if reply is not None and reply.status is not None:
                record.scripted = True
                status, payload, headers = self._scripted(record, reply)
            else:
                status, payload, headers = self._dispatch(record)
        except _HttpError as exc:
            status, payload = exc.status, error_body(exc.status, exc.message, **exc.extra)
            headers = {}
        headers = {**self._limit_headers(record), **headers}
        record.status, record.response_body, record.response_headers = status, payload, headers
        if record.accepted and record.endpoint in MESSAGE_ENDPOINTS and not record.message_id:
            record.message_id = str(uuid.uuid4())
        self._record(record)
        if reply is not None and reply.hold_s:
            self._stopping.wait(reply.hold_s)
        with contextlib.suppress(OSError):  # a client that died while the answer was held
            self._respond(handler, status, payload, headers)

    def _take_script(self, record: RecordedRequest) -> Reply | None:
        with self._lock:
            if not self._scripts:
                return None
            head = self._scripts[0]
            wanted = head.reply.endpoint
            if wanted is not None and not record.path.endswith("/" + wanted):
                return None
            head.remaining -= 1
            if head.remaining <= 0:
                self._scripts.pop(0)
            return head.reply

    def _record(self, record: RecordedRequest) -> None:
        with self._lock:
            self._log.append(record)
            self._lock.notify_all()

    def _respond(
        self, handler: _Handler, status: int, payload: Any, headers: Mapping[str, str]
    ) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        data = b""
        if payload is not None and status != 204:
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            handler.send_header("Content-Type", "application/json")
        if status != 204:
            handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        if data and handler.command != "HEAD":
            handler.wfile.write(data)

    def _scripted(self, record: RecordedRequest, reply: Reply) -> tuple[int, Any, dict[str, str]]:
        status = reply.status
        assert status is not None
        headers = dict(reply.headers)
        if reply.reset_in_s is not None:
            family = "X-FloodControl" if reply.flood else "X-Ratelimit"
            limit = self.flood_limit if reply.flood else self.token_limit
            headers.update(
                {
                    f"{family}-Limit": str(limit),
                    f"{family}-Remaining": "0",
                    f"{family}-Reset": str(math.ceil(self.clock() + reply.reset_in_s)),
                }
            )
        body = reply.body
        if body is None and status >= 400:
            message = "Rate Limit exceeded" if status == 429 else HTTPStatus(status).phrase
            body = error_body(status, message)
        return status, body, headers

    def _limit_headers(self, record: RecordedRequest) -> dict[str, str]:
        now = self.clock()
        with self._lock:
            token_window = self._token_windows.get(record.token or "") or _Window(
                self.token_limit, self.token_period_s
            )
            room_window = (
                self._room_windows.get(record.room.id) if record.room is not None else None
            ) or _Window(self.flood_limit, self.flood_period_s)
            headers = {}
            for family, window in (("X-Ratelimit", token_window), ("X-FloodControl", room_window)):
                limit, remaining, reset = window.state(now)
                headers[f"{family}-Limit"] = str(limit)
                headers[f"{family}-Remaining"] = str(remaining)
                headers[f"{family}-Reset"] = str(reset)
            return headers

    # ------------------------------------------------------------ routing

    def _parse_for_log(self, record: RecordedRequest) -> None:
        """Best-effort parse of the body for tests, even when the reply is scripted."""
        content_type = record.headers.get("content-type", "")
        if content_type.lower().startswith("multipart/"):
            with contextlib.suppress(ValueError):
                self._attach_parts(record, content_type)
        elif record.body:
            with contextlib.suppress(ValueError):
                record.json = json.loads(record.body)
        self._extract_token(record)

    def _attach_parts(self, record: RecordedRequest, content_type: str) -> None:
        record.parts = parse_multipart_related(content_type, record.body)
        for part in record.parts:
            if part.name == "metadata" and record.metadata is None:
                with contextlib.suppress(ValueError):
                    record.metadata = _parse_metadata(part.data)
            elif part.name == "file" and record.file is None:
                record.file = part

    def _extract_token(self, record: RecordedRequest) -> None:
        header = record.headers.get("authorization", "")
        from_header = None
        if header[:7].lower() == "bearer ":
            from_header = header[7:].strip()
        from_query = next(iter(record.query.get("auth_token", [])), None)
        record.token = from_header or from_query
        if from_header and from_query:
            record.auth_method = "both"
        elif from_header:
            record.auth_method = "header"
        elif from_query:
            record.auth_method = "query"

    def _dispatch(self, record: RecordedRequest) -> tuple[int, Any, dict[str, str]]:
        path = record.path
        base = f"{self.prefix}/v2/"
        if not path.startswith(base):
            raise _HttpError(404, "Not found")
        segments = path[len(base) :].split("/")
        kind, rest = segments[0], segments[1:]
        if kind == "room" and rest:
            return self._room_route(record, rest[0], "/".join(rest[1:]))
        if kind == "user" and len(rest) == 1:
            self._allow(record, "GET")
            token = self._authenticate(record)
            self._require(token, ("view_group",))
            return self._get_user(unquote(rest[0]))
        raise _HttpError(404, "Not found")

    def _room_route(
        self, record: RecordedRequest, raw_room: str, action: str
    ) -> tuple[int, Any, dict[str, str]]:
        methods = {"": "GET", "notification": "POST", "message": "POST", "share/file": "POST"}
        methods |= {"history": "GET", "history/latest": "GET"}
        if action not in methods:
            raise _HttpError(404, "Not found")
        self._allow(record, methods[action])
        record.endpoint = action or "room"
        token = self._authenticate(record)
        # Percent-decode once; "+" stays a plus (a space sent as "+" is not found, §1.7).
        name = unquote(raw_room)
        if not 1 <= len(name) <= 100:
            raise _invalid(
                "id_or_name", name, "Room id or name must be between 1 and 100 characters"
            )
        room = self._resolve_room(name)
        if room is None:
            raise _HttpError(404, "Room not found")
        record.room = room
        # view_room shows a room "but not history" (the scopes page, §1.0).
        scopes = {
            "": ("view_group", "view_room"),
            "history": ("view_messages",),
            "history/latest": ("view_messages",),
            "notification": ("send_notification",),
            "message": ("send_message",),
            "share/file": ("send_message",),
        }[action]
        self._require(token, scopes)
        if token.room_id is not None and token.room_id != room.id:
            # Room notification tokens work in their own room only (inferred, §4.2).
            raise _HttpError(403, "This token can only be used in the room it was created for")
        if _is_true(record.query.get("auth_test")):
            record.auth_test = True
            success = {
                "code": 202,
                "type": "Accepted",
                "message": "This auth_token has access to use this method.",
            }
            return 202, {"success": success}, {}
        self._count(token, room, flood=action in ("notification", "message"))
        if action == "":
            return 200, self._room_json(room), {}
        if action == "history":
            return 200, self._history(room, record.query), {}
        if action == "history/latest":
            return 200, self._latest_history(room, record.query), {}
        if action == "notification":
            self._validate_notification(record)
            return 204, None, {}
        if action == "message":
            return self._post_message(record)
        self._validate_share_file(record)
        return 204, None, {}

    def _allow(self, record: RecordedRequest, method: str) -> None:
        if record.method != method:
            raise _HttpError(405, f"Method {record.method} not allowed; use {method}")

    def _authenticate(self, record: RecordedRequest) -> Token:
        if not record.token:
            raise _HttpError(401, AUTH_REQUIRED)
        with self._lock:
            token = self._tokens.get(record.token)
        if token is None:
            raise _HttpError(401, INVALID_SESSION)
        return token

    def _require(self, token: Token, any_of: Sequence[str]) -> None:
        if token.scopes.isdisjoint(any_of):
            listed = ", ".join(f"u'{s}'" for s in any_of)
            raise _HttpError(403, f"This action requires one of the following scopes: [{listed}]")

    def _count(self, token: Token, room: Room, *, flood: bool) -> None:
        now = self.clock()
        with self._lock:
            window = self._token_windows.setdefault(
                token.value, _Window(self.token_limit, self.token_period_s)
            )
            if not window.take(now):
                raise _HttpError(429, "Rate Limit exceeded")
            if flood:
                room_window = self._room_windows.setdefault(
                    room.id, _Window(self.flood_limit, self.flood_period_s)
                )
                if not room_window.take(now):
                    raise _HttpError(429, "Flood control limit exceeded for this room")

    # ------------------------------------------------------------ endpoints

    def _json_object(self, record: RecordedRequest) -> dict[str, Any]:
        try:
            value = json.loads(record.body)
        except ValueError:
            raise _HttpError(400, "The request body cannot be parsed as valid JSON") from None
        if not isinstance(value, dict):
            raise _HttpError(400, "The request body must be a JSON object")
        return value

    def _validate_notification(self, record: RecordedRequest) -> None:
        body = self._json_object(record)
        known = {"message", "message_format", "color", "notify", "from", "attach_to", "card"}
        extra = sorted(set(body) - known)
        if extra and self.reject_unknown_fields:
            raise _invalid(extra[0], body[extra[0]], f"Unknown field '{extra[0]}'", "extra")
        if "message" not in body:
            raise _HttpError(
                400, "Field 'message' is required", field="message", validation="required"
            )
        # Characters, not bytes: the limit's unit is undocumented, so accept the wider reading.
        _check_length("message", body["message"], 1, 10000)
        fmt = body.get("message_format", "html")
        if fmt not in FORMATS:
            raise _invalid("message_format", fmt, f"{fmt!r} is not one of {list(FORMATS)}", "enum")
        color = body.get("color", "yellow")
        if color not in COLORS:
            raise _invalid("color", color, f"{color!r} is not one of {list(COLORS)}", "enum")
        if "notify" in body:
            notify = body["notify"]
            lenient_ok = self.lenient_notify and notify in ("true", "false")
            if not isinstance(notify, bool) and not lenient_ok:
                raise _wrong_type("notify", notify, "boolean")
        if "from" in body:
            _check_length("from", body["from"], 0, self.from_max)
        if "attach_to" in body:
            attach_to = body["attach_to"]
            if attach_to is None:  # HypChat PR #56: explicit null is a 400
                raise _wrong_type("attach_to", attach_to, "string")
            _check_length("attach_to", attach_to, 0, 36)
            with self._lock:
                known_id = attach_to in self._message_ids
            if attach_to and not known_id:
                raise _invalid("attach_to", attach_to, "Unknown message id", "exists")
        if "card" in body:
            _validate_card(body["card"])

    def _post_message(self, record: RecordedRequest) -> tuple[int, Any, dict[str, str]]:
        body = self._json_object(record)
        if "message" not in body:
            raise _HttpError(
                400, "Field 'message' is required", field="message", validation="required"
            )
        _check_length("message", body["message"], 1, 1000)
        message_id = str(uuid.uuid4())
        record.message_id = message_id
        with self._lock:
            self._message_ids.add(message_id)
        timestamp = datetime.fromtimestamp(record.received_at, UTC).isoformat()
        return 201, {"id": message_id, "timestamp": timestamp}, {}

    def _validate_share_file(self, record: RecordedRequest) -> None:
        content_type = record.headers.get("content-type", "")
        mime = Message()
        mime["content-type"] = content_type
        if mime.get_content_type() != "multipart/related" or not mime.get_param("boundary"):
            raise _HttpError(
                self.share_file_wrong_type_status,
                "Content-Type must be multipart/related with a boundary",
            )
        if not record.parts:
            raise _HttpError(400, "The multipart body has no parts")
        metadata_parts = [p for p in record.parts if p.name == "metadata"]
        if metadata_parts and record.metadata is None:
            raise _HttpError(400, "The metadata part is not a JSON object", field="metadata")
        if record.metadata is not None and "message" in record.metadata:
            _check_length("message", record.metadata["message"], 0, 1000)
        part = record.file
        if part is None:
            raise _HttpError(400, 'A part with name="file" is required', field="file")
        if not part.filename:
            raise _HttpError(400, "The file part needs a filename", field="filename")
        if part.content_type.split(";")[0].strip().lower() == "image/png" and not (
            part.data.startswith(PNG_SIGNATURE)
        ):
            raise _HttpError(400, "The file is not a PNG image", field="file", validation="png")

    def _room_json(self, room: Room) -> dict[str, Any]:
        link = f"{self.url}/v2/room/{room.id}"
        return {
            "id": room.id,
            "name": room.name,
            "xmpp_jid": f"{room.id}_room@conf.hipchat.test",
            "topic": room.topic,
            "privacy": room.privacy,
            "is_archived": False,
            "is_guest_accessible": False,
            "guest_access_url": None,
            "created": "2017-12-01T00:00:00+00:00",
            "owner": {"id": 1, "name": "Owner", "mention_name": "owner"},
            "participants": [],
            "statistics": {"messages_sent": len(self.room_messages(room)), "last_active": None},
            "links": {
                "self": link,
                "webhooks": f"{link}/webhook",
                "members": f"{link}/member",
                "participants": f"{link}/participant",
            },
        }

    def _history_item(self, r: RecordedRequest) -> dict[str, Any]:
        """One room message as the history lists it."""
        source = (r.metadata if r.endpoint == "share/file" else r.json) or {}
        item: dict[str, Any] = {
            "id": r.message_id,
            "date": datetime.fromtimestamp(r.received_at, UTC).isoformat(),
            "message": source.get("message", ""),
            "mentions": [],
        }
        if r.endpoint == "notification":
            # A notification is "from" its sender label, a plain string.
            item |= {"type": "notification", "from": source.get("from", "")}
            item |= {"message_format": source.get("message_format", "html")}
            item |= {"color": source.get("color", "yellow")}
        else:
            item |= {"type": "message", "message_format": "text"}
            item["from"] = {"id": 1, "name": "Owner", "mention_name": "owner"}
        if r.file is not None:
            url = f"{self.url}/files/{r.message_id}/{r.file.filename}"
            item["file"] = {"name": r.file.filename, "size": len(r.file.data), "url": url}
        return item

    def _history_page(
        self, room: Room, items: list[dict[str, Any]], start: int, size: int
    ) -> dict[str, Any]:
        return {
            "items": items,
            "startIndex": start,
            "maxResults": size,
            "links": {"self": f"{self.url}/v2/room/{room.id}/history"},
        }

    def _history(self, room: Room, query: dict[str, list[str]]) -> dict[str, Any]:
        """``view_room_history``: ``date=recent`` the newest 75, else a date-bounded page."""
        messages = self.room_messages(room)
        reverse = _flag(query, "reverse", default=True)
        date = _param(query, "date", "recent")
        if date == "recent":
            chosen, start, size = messages[-75:], 0, 75
        else:
            latest = _moment(date, "date")
            end = _param(query, "end-date", "")
            earliest = _moment(end, "end-date") if end and end != "null" else -math.inf
            dated = [r for r in messages if earliest <= r.received_at <= latest]
            start = _int_param(query, "start-index", 0, 0, 10**9)
            size = _int_param(query, "max-results", 100, 0, 1000)
            newest_first = dated[::-1][start : start + size]
            chosen = newest_first[::-1]
        items = [self._history_item(r) for r in chosen]
        return self._history_page(room, items if reverse else items[::-1], start, size)

    def _latest_history(self, room: Room, query: dict[str, list[str]]) -> dict[str, Any]:
        """``view_recent_room_history``: the newest ``max-results`` messages, oldest first,
        none older than the ``not-before`` message."""
        messages = self.room_messages(room)
        size = _int_param(query, "max-results", 75, 0, 1000)
        not_before = _param(query, "not-before", "")
        if not_before:
            ids = [r.message_id for r in messages]
            if not_before not in ids:
                raise _invalid("not-before", not_before, "Unknown message id", "exists")
            messages = messages[ids.index(not_before) :]
        chosen = messages[-size:] if size else []
        return self._history_page(room, [self._history_item(r) for r in chosen], 0, size)

    def _get_user(self, key: str) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            users = list(self._users)
        for user in users:
            if key in (str(user.id), user.email, "@" + user.mention_name):
                return (
                    200,
                    {
                        "id": user.id,
                        "name": user.name,
                        "mention_name": user.mention_name,
                        "email": user.email,
                        "is_deleted": False,
                        "is_guest": False,
                    },
                    {},
                )
        raise _HttpError(404, "User not found")


def _is_true(values: list[str] | None) -> bool:
    return values is not None and len(values) > 0 and values[0].lower() == "true"


def _param(query: Mapping[str, list[str]], name: str, default: str) -> str:
    values = query.get(name)
    return values[0] if values else default


def _flag(query: Mapping[str, list[str]], name: str, *, default: bool) -> bool:
    value = _param(query, name, "").lower()
    if value in ("", "true", "false"):
        return default if not value else value == "true"
    raise _wrong_type(name, value, "boolean")


def _int_param(query: Mapping[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    raw = _param(query, name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _wrong_type(name, raw, "integer") from None
    if not low <= value <= high:
        raise _invalid(name, value, f"'{name}' must be between {low} and {high}", "range")
    return value


def _moment(value: str, name: str) -> float:
    """Unix seconds of an ISO 8601 date or a Unix timestamp (§ the history methods)."""
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _wrong_type(name, value, "datetime") from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def _validate_card(card: Any) -> None:
    """The card rules of hipchat-v2.md §1.1."""
    if not isinstance(card, dict):
        raise _wrong_type("card", card, "object")
    if card.get("style") not in CARD_STYLES:
        raise _invalid("card.style", card.get("style"), "Invalid card style", "enum")
    if "id" not in card:
        raise _HttpError(400, "Field 'card.id' is required", field="card.id", validation="required")
    _check_length("card.title", card.get("title"), 1, 500)
    description = card.get("description")
    if isinstance(description, dict):
        _check_length("card.description.value", description.get("value"), 1, 1000)
    elif description is not None and not isinstance(description, str):
        raise _wrong_type("card.description", description, "string")
    if "format" in card and card["format"] not in ("compact", "medium"):
        raise _invalid("card.format", card["format"], "Invalid card format", "enum")
    thumbnail = card.get("thumbnail")
    if thumbnail is not None:
        _check_length("card.thumbnail.url", (thumbnail or {}).get("url"), 1, 250)
    for attribute in card.get("attributes") or []:
        _check_length("card.attributes.label", (attribute or {}).get("label"), 1, 50)


# ------------------------------------------------------------------ running


@contextlib.contextmanager
def running_fake(**options: Any) -> Iterator[HipChatFake]:
    """Context manager form: ``with running_fake(tls=True) as fake: ...``."""
    fake = HipChatFake(**options)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
