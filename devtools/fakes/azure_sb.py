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
  (:func:`busy`: 503 Server Busy, 429 with ``Retry-After``) for the next authorized
  requests.

Accepted messages are kept per entity (:meth:`AzureServiceBusFake.messages`) with their
headers; every request is in :attr:`AzureServiceBusFake.log` (``signer``: the key name;
``error``: the reason of a refusal).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import unquote_plus, urlsplit

from devtools.fakes.service import FRONT_END_MAX_BODY, Answer, FakeService, Recorded, Refusal, Reply

MAX_MESSAGE_BYTES = 256 * 1024
TEXT = {"Content-Type": "text/plain"}


def error_answer(status: int, reason: str, headers: dict[str, str] | None = None) -> Answer:
    """A Service Bus error answer: ``status`` with ``reason`` as its text."""
    headers = {**TEXT, **(headers or {})}
    return Answer(status, reason.encode(), headers, accepted=False, error=reason)


def busy(retry_after_s: int | None = None) -> Reply:
    """Service Bus's throttling answer: 503 Server Busy, or 429 with ``Retry-After``."""
    if retry_after_s is None:
        return Reply(error_answer(503, "Server Busy"))
    return Reply(error_answer(429, "Too Many Requests", {"Retry-After": str(retry_after_s)}))


class _Refused(Refusal):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(error_answer(status, reason))


class AzureServiceBusFake(FakeService):
    """One Service Bus namespace on ``127.0.0.1``; point an endpoint's URL at :attr:`url`."""

    name = "azure-service-bus"
    max_body = FRONT_END_MAX_BODY

    def __init__(self, port: int = 0) -> None:
        super().__init__(port=port)
        self.keys: dict[str, str] = {}
        self.entities: dict[str, list[Recorded]] = {}

    def add_key(self, key_name: str, key: str) -> None:
        """A shared access policy of the namespace."""
        self.keys[key_name] = key

    def add_entity(self, name: str) -> None:
        """A queue, topic or event hub."""
        self.entities.setdefault(name, [])

    def messages(self, entity: str) -> list[Recorded]:
        with self._lock:
            return list(self.entities[entity])

    # ------------------------------------------------------------- serving

    def unauthorized(self, record: Recorded) -> Answer | None:
        try:
            self._authorize(record, self._entity(record.path))
        except _Refused as refused:
            return refused.answer
        return None

    def handle(self, record: Recorded) -> Answer:
        if len(record.body) > MAX_MESSAGE_BYTES:
            return error_answer(413, "The message is larger than 256 KB.")
        with self._lock:
            self.entities[self._entity(record.path)].append(record)
        return Answer(201, None)

    def _entity(self, path: str) -> str:
        name, _, action = path.strip("/").rpartition("/")
        if action != "messages" or not name:
            raise _Refused(404, "Only POST /{entity}/messages is served here.")
        if name not in self.entities:
            raise _Refused(404, f"The messaging entity '{name}' could not be found.")
        return name

    def _authorize(self, record: Recorded, entity: str) -> None:
        scheme, _, raw = record.header("Authorization").partition(" ")
        if scheme != "SharedAccessSignature":
            raise _Refused(401, "MissingToken: the authorization header was not found.")
        fields = dict(pair.partition("=")[::2] for pair in raw.split("&"))
        try:
            resource, signature = fields["sr"], fields["sig"]
            expiry, key_name = int(fields["se"]), fields["skn"]
        except (KeyError, ValueError):
            raise _Refused(401, "InvalidSignature: sr, sig, se and skn are required.") from None
        key = self.keys.get(key_name)
        if key is None:
            raise _Refused(401, f"InvalidSignature: unknown key name '{key_name}'.")
        mac = hmac.new(key.encode(), f"{resource}\n{expiry}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(base64.b64encode(mac).decode(), unquote_plus(signature)):
            raise _Refused(401, "InvalidSignature: the token has an invalid signature.")
        if expiry <= time.time():
            raise _Refused(401, "ExpiredToken: the token is expired.")
        signed_path = urlsplit(unquote_plus(resource)).path.strip("/")
        if not (entity == signed_path or entity.startswith(signed_path + "/") or not signed_path):
            raise _Refused(401, f"InvalidAudience: the token is for '{signed_path}'.")
        record.signer = key_name
