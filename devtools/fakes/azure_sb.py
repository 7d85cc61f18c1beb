"""A fake Azure Service Bus / Event Hubs REST endpoint (Send Message) on loopback.

What it enforces, as Azure documents it ("Send Message" REST reference, "Service Bus
authentication and authorization with Shared Access Signatures", "Service Bus quotas"):

* ``POST /{entity}/messages`` only; an unknown entity is 404;
* ``Authorization: SharedAccessSignature sr=…&sig=…&se=…&skn=…``: the key named by
  ``skn`` must exist, ``sig`` must equal base64(HMAC-SHA256(key, sr + "\\n" + se)), the
  expiry ``se`` must be in the future and ``sr`` must be the URL of the entity posted to
  (or of a path above it); anything else is 401 with the reason, as Service Bus answers;
* a body of at most 256 KiB (Standard tier), else 413;
* success is ``201 Created``; :meth:`AzureServiceBusFake.script` queues other answers
  (503 Server Busy, 429 with ``Retry-After``) for the next requests.

Accepted messages are kept per entity (:meth:`AzureServiceBusFake.messages`) with their
headers; every request is in :attr:`AzureServiceBusFake.log`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote_plus, urlsplit

from devtools.fakes.loopback import FakeState, LoopbackFake, QuietHandler

MAX_MESSAGE_BYTES = 256 * 1024


@dataclass(frozen=True)
class Reply:
    """A scripted answer: ``status``, a reason text and response headers."""

    status: int
    reason: str = ""
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def busy(cls, retry_after_s: int | None = None) -> Reply:
        """Service Bus's throttling answer: 503 Server Busy, or 429 with ``Retry-After``."""
        if retry_after_s is None:
            return cls(503, "Server Busy")
        return cls(429, "Too Many Requests", (("Retry-After", str(retry_after_s)),))


@dataclass
class RecordedRequest:
    """One request: path, query, body, content type, status answered, reason, arrival time."""

    path: str
    query: dict[str, str]
    body: bytes
    content_type: str
    status: int = 0
    reason: str = ""
    received_at: float = 0.0

    @property
    def accepted(self) -> bool:
        return self.status == 201


@dataclass
class _State(FakeState):
    keys: dict[str, str] = field(default_factory=dict)
    entities: dict[str, list[RecordedRequest]] = field(default_factory=dict)


class _Refused(Exception):
    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.reason)
        self.reply = reply


class _Handler(QuietHandler):
    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        record = RecordedRequest(
            parts.path, dict(parse_qsl(parts.query)), body,
            self.headers.get("Content-Type", ""), received_at=time.time(),
        )  # fmt: skip
        state = self.server.state
        headers: tuple[tuple[str, str], ...] = ()
        try:
            entity = self._entity(parts.path)
            self._authorize(entity)
            scripted = state.next_scripted()
            if scripted:
                raise _Refused(scripted)
            if len(body) > MAX_MESSAGE_BYTES:
                raise _Refused(Reply(413, "The message is larger than 256 KB."))
            record.status = 201
            with state.lock:
                state.entities[entity].append(record)
        except _Refused as refused:
            record.status, record.reason = refused.reply.status, refused.reply.reason
            headers = refused.reply.headers
        state.record(record)  # before the answer: a client that has it finds it logged
        self.answer(record.status, record.reason, "text/plain", headers)

    def _entity(self, path: str) -> str:
        name, _, action = path.strip("/").rpartition("/")
        if action != "messages" or not name:
            raise _Refused(Reply(404, "Only POST /{entity}/messages is served here."))
        if name not in self.server.state.entities:
            raise _Refused(Reply(404, f"The messaging entity '{name}' could not be found."))
        return name

    def _authorize(self, entity: str) -> None:
        header = self.headers.get("Authorization", "")
        scheme, _, raw = header.partition(" ")
        if scheme != "SharedAccessSignature":
            raise _Refused(Reply(401, "MissingToken: the authorization header was not found."))
        fields = dict(pair.partition("=")[::2] for pair in raw.split("&"))
        try:
            resource, signature = fields["sr"], fields["sig"]
            expiry, key_name = int(fields["se"]), fields["skn"]
        except (KeyError, ValueError):
            raise _Refused(
                Reply(401, "InvalidSignature: sr, sig, se and skn are required.")
            ) from None
        key = self.server.state.keys.get(key_name)
        if key is None:
            raise _Refused(Reply(401, f"InvalidSignature: unknown key name '{key_name}'."))
        mac = hmac.new(key.encode(), f"{resource}\n{expiry}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(base64.b64encode(mac).decode(), unquote_plus(signature)):
            raise _Refused(Reply(401, "InvalidSignature: the token has an invalid signature."))
        if expiry <= time.time():
            raise _Refused(Reply(401, "ExpiredToken: the token is expired."))
        signed_path = urlsplit(unquote_plus(resource)).path.strip("/")
        if not (entity == signed_path or entity.startswith(signed_path + "/") or not signed_path):
            raise _Refused(Reply(401, f"InvalidAudience: the token is for '{signed_path}'."))


class AzureServiceBusFake(LoopbackFake):
    """One Service Bus namespace on ``127.0.0.1``; point an endpoint's URL at :attr:`url`."""

    state: _State

    def __init__(self) -> None:
        super().__init__(_Handler, _State(), "azure-sb-fake")

    @property
    def url(self) -> str:
        return self.root

    def add_key(self, key_name: str, key: str) -> None:
        """A shared access policy of the namespace."""
        self.state.keys[key_name] = key

    def add_entity(self, name: str) -> None:
        """A queue, topic or event hub."""
        self.state.entities.setdefault(name, [])

    def messages(self, entity: str) -> list[RecordedRequest]:
        with self.state.lock:
            return list(self.state.entities[entity])
