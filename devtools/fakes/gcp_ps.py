"""A fake Google Cloud Pub/Sub REST API (``topics.publish``) on loopback.

What it enforces, as Google documents it (Pub/Sub REST reference
``projects.topics.publish``, "Resource limits", "Authenticate with a self-signed JWT"):

* ``POST /v1/projects/{project}/topics/{topic}:publish`` only; an unknown topic is 404
  ``NOT_FOUND``;
* ``Authorization: Bearer <JWT>`` signed RS256 by a known service account's key: the
  signature is checked with google-auth against the public key of the ``kid`` in the
  JWT's header, ``iss`` must be that account, ``aud`` the Pub/Sub service and the token
  unexpired; anything else is 401 ``UNAUTHENTICATED``;
* a body ``{"messages": [...]}`` of 1 to 1,000 messages, each with base64 ``data`` or
  ``attributes`` (at most 100; keys 256 bytes, values 1,024 bytes), at most 10 MB:
  otherwise 400 ``INVALID_ARGUMENT``;
* 200 ``{"messageIds": [...]}``; :meth:`PubSubFake.script` queues other answers (429
  ``RESOURCE_EXHAUSTED``, 503 ``UNAVAILABLE``) for the next requests.

Accepted messages are kept per topic (:meth:`PubSubFake.messages`), their data decoded.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from google.auth import jwt

from devtools.fakes.loopback import FakeState, LoopbackFake, QuietHandler

AUDIENCE = "https://pubsub.googleapis.com/"
MAX_REQUEST_BYTES = 10 * 1000 * 1000
MAX_MESSAGES = 1000
MAX_ATTRIBUTES, MAX_KEY_BYTES, MAX_VALUE_BYTES = 100, 256, 1024
_PUBLISH = re.compile(r"^/v1/projects/([^/]+)/topics/([^/:]+):publish$")


@dataclass(frozen=True)
class Reply:
    """A scripted answer: HTTP ``status`` with Google's error ``status`` name."""

    status: int
    name: str
    message: str = ""

    @classmethod
    def exhausted(cls) -> Reply:
        return cls(429, "RESOURCE_EXHAUSTED", "Quota exceeded")


@dataclass
class Published:
    """A message a topic accepted: its id, decoded data and attributes."""

    message_id: str
    data: str
    attributes: dict[str, str]


@dataclass
class RecordedRequest:
    """One request: path, the account that signed it, status and error name answered."""

    path: str
    account: str = ""
    status: int = 0
    error: str = ""
    received_at: float = 0.0

    @property
    def accepted(self) -> bool:
        return self.status == 200


@dataclass
class _State(FakeState):
    #: key id → (account e-mail, public key PEM)
    keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    topics: dict[str, list[Published]] = field(default_factory=dict)


class _Refused(Exception):
    def __init__(self, status: int, name: str, message: str) -> None:
        super().__init__(message)
        self.reply = Reply(status, name, message)


class _Handler(QuietHandler):
    server: Any

    def do_POST(self) -> None:
        record = RecordedRequest(self.path, received_at=time.time())
        state: _State = self.server.state
        answer: dict[str, Any]
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            match = _PUBLISH.match(self.path)
            if match is None:
                raise _Refused(404, "NOT_FOUND", "Only topics.publish is served here.")
            record.account = self._authenticate()
            scripted = state.next_scripted()
            if scripted:
                raise _Refused(scripted.status, scripted.name, scripted.message)
            topic = f"projects/{match.group(1)}/topics/{match.group(2)}"
            if topic not in state.topics:
                raise _Refused(404, "NOT_FOUND", f"Resource not found (resource={match.group(2)}).")
            published = [self._message(m) for m in self._messages(raw)]
            with state.lock:
                state.topics[topic].extend(published)
            status, answer = 200, {"messageIds": [p.message_id for p in published]}
        except _Refused as refused:
            reply = refused.reply
            status, record.error = reply.status, reply.name
            answer = {"error": {"code": status, "message": reply.message, "status": reply.name}}
        record.status = status
        state.record(record)  # before the answer: a client that has it finds it logged
        self.answer(status, json.dumps(answer), "application/json")

    def _authenticate(self) -> str:
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not token:
            raise _Refused(
                401, "UNAUTHENTICATED", "Request had invalid authentication credentials."
            )
        keys: dict[str, tuple[str, str]] = self.server.state.keys
        try:
            header = jwt.decode_header(token)
            account, public_key = keys[header.get("kid", "")]
            claims = jwt.decode(token, certs={header["kid"]: public_key}, audience=AUDIENCE)
        except (KeyError, ValueError) as exc:
            raise _Refused(401, "UNAUTHENTICATED", f"Invalid JWT: {exc}") from None
        if claims.get("iss") != account:
            raise _Refused(401, "UNAUTHENTICATED", "The JWT's issuer does not own its key.")
        return account

    def _messages(self, raw: bytes) -> list[dict[str, Any]]:
        if len(raw) > MAX_REQUEST_BYTES:
            raise _Refused(400, "INVALID_ARGUMENT", "Request payload size exceeds the limit.")
        try:
            messages = json.loads(raw)["messages"]
        except (ValueError, KeyError, TypeError):
            raise _Refused(
                400, "INVALID_ARGUMENT", "Invalid JSON payload: messages required."
            ) from None
        if not isinstance(messages, list) or not 1 <= len(messages) <= MAX_MESSAGES:
            raise _Refused(400, "INVALID_ARGUMENT", "A publish request holds 1 to 1000 messages.")
        return messages

    def _message(self, message: Any) -> Published:
        if not isinstance(message, dict):
            raise _Refused(400, "INVALID_ARGUMENT", "A message is an object.")
        attributes = message.get("attributes") or {}
        if not message.get("data") and not attributes:
            raise _Refused(400, "INVALID_ARGUMENT", "A message needs data or attributes.")
        if len(attributes) > MAX_ATTRIBUTES or any(
            len(str(k).encode()) > MAX_KEY_BYTES or len(str(v).encode()) > MAX_VALUE_BYTES
            for k, v in attributes.items()
        ):
            raise _Refused(400, "INVALID_ARGUMENT", "Attributes exceed the limits.")
        try:
            data = base64.b64decode(message.get("data", ""), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise _Refused(400, "INVALID_ARGUMENT", "data must be base64.") from None
        return Published(str(uuid.uuid4().int)[:16], data, dict(attributes))


class PubSubFake(LoopbackFake):
    """Pub/Sub on ``127.0.0.1``; point an endpoint's URL at :attr:`url`."""

    state: _State

    def __init__(self) -> None:
        super().__init__(_Handler, _State(), "pubsub-fake")

    @property
    def url(self) -> str:
        return self.root

    def add_service_account(self, email: str, key_id: str, public_key_pem: str) -> None:
        """An account whose JWTs (header ``kid`` = ``key_id``) the fake trusts."""
        self.state.keys[key_id] = (email, public_key_pem)

    def add_topic(self, project: str, topic: str) -> None:
        self.state.topics.setdefault(f"projects/{project}/topics/{topic}", [])

    def messages(self, project: str, topic: str) -> list[Published]:
        with self.state.lock:
            return list(self.state.topics[f"projects/{project}/topics/{topic}"])
