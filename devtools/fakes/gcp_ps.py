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
* 200 ``{"messageIds": [...]}``; :meth:`PubSubFake.script` queues other answers
  (:func:`error_reply`, :func:`exhausted`: 429 ``RESOURCE_EXHAUSTED``, 503
  ``UNAVAILABLE``) for the next authenticated requests.

Accepted messages are kept per topic (:meth:`PubSubFake.messages`), their data decoded;
every request is in :attr:`PubSubFake.log` (``signer``: the service account;
``error``: the status name answered).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from google.auth import jwt

from devtools.fakes.service import FRONT_END_MAX_BODY, Answer, FakeService, Recorded, Refusal, Reply

AUDIENCE = "https://pubsub.googleapis.com/"
MAX_REQUEST_BYTES = 10 * 1000 * 1000
MAX_MESSAGES = 1000
MAX_ATTRIBUTES, MAX_KEY_BYTES, MAX_VALUE_BYTES = 100, 256, 1024
_PUBLISH = re.compile(r"^/v1/projects/([^/]+)/topics/([^/:]+):publish$")


def error_answer(status: int, name: str, message: str = "") -> Answer:
    """A Google API error answer: HTTP ``status`` with the error ``status`` ``name``."""
    body = {"error": {"code": status, "message": message, "status": name}}
    return Answer(status, body, accepted=False, error=name)


def error_reply(status: int, name: str, message: str = "") -> Reply:
    """:func:`error_answer` scripted for the next request."""
    return Reply(error_answer(status, name, message))


def exhausted() -> Reply:
    """Pub/Sub's rate-limit answer: 429 ``RESOURCE_EXHAUSTED``."""
    return error_reply(429, "RESOURCE_EXHAUSTED", "Quota exceeded")


@dataclass
class Published:
    """A message a topic accepted: its id, decoded data and attributes."""

    message_id: str
    data: str
    attributes: dict[str, str]


class _Refused(Refusal):
    def __init__(self, status: int, name: str, message: str) -> None:
        super().__init__(error_answer(status, name, message))


class PubSubFake(FakeService):
    """Pub/Sub on ``127.0.0.1``; point an endpoint's URL at :attr:`url`."""

    name = "pubsub"
    max_body = FRONT_END_MAX_BODY

    def __init__(self, port: int = 0) -> None:
        super().__init__(port=port)
        #: key id → (account e-mail, public key PEM)
        self.keys: dict[str, tuple[str, str]] = {}
        self.topics: dict[str, list[Published]] = {}

    def add_service_account(self, email: str, key_id: str, public_key_pem: str) -> None:
        """An account whose JWTs (header ``kid`` = ``key_id``) the fake trusts."""
        self.keys[key_id] = (email, public_key_pem)

    def add_topic(self, project: str, topic: str) -> None:
        self.topics.setdefault(f"projects/{project}/topics/{topic}", [])

    def messages(self, project: str, topic: str) -> list[Published]:
        with self._lock:
            return list(self.topics[f"projects/{project}/topics/{topic}"])

    # ------------------------------------------------------------- serving

    def unauthorized(self, record: Recorded) -> Answer | None:
        try:
            if record.method != "POST" or _PUBLISH.match(record.path) is None:
                raise _Refused(404, "NOT_FOUND", "Only topics.publish is served here.")
            record.signer = self._authenticate(record)
        except _Refused as refused:
            return refused.answer
        return None

    def handle(self, record: Recorded) -> Answer:
        match = _PUBLISH.match(record.path)
        assert match is not None  # unauthorized() refused any other path
        topic = f"projects/{match.group(1)}/topics/{match.group(2)}"
        if topic not in self.topics:
            raise _Refused(404, "NOT_FOUND", f"Resource not found (resource={match.group(2)}).")
        published = [self._message(m) for m in self._messages(record.body)]
        with self._lock:
            self.topics[topic].extend(published)
        return Answer(200, {"messageIds": [p.message_id for p in published]})

    def _authenticate(self, record: Recorded) -> str:
        scheme, _, token = record.header("Authorization").partition(" ")
        if scheme != "Bearer" or not token:
            raise _Refused(
                401, "UNAUTHENTICATED", "Request had invalid authentication credentials."
            )
        try:
            header = jwt.decode_header(token)
            account, public_key = self.keys[header.get("kid", "")]
            claims = jwt.decode(token, certs={header["kid"]: public_key}, audience=AUDIENCE)
        except (KeyError, ValueError) as exc:
            raise _Refused(401, "UNAUTHENTICATED", f"Invalid JWT: {exc}") from None
        if claims.get("iss") != account:
            raise _Refused(401, "UNAUTHENTICATED", "The JWT's issuer does not own its key.")
        return str(account)

    @staticmethod
    def _messages(raw: bytes) -> list[dict[str, Any]]:
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

    @staticmethod
    def _message(message: Any) -> Published:
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
