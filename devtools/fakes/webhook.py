"""A fake webhook receiver on loopback: what an operator's endpoint does with ATSD's
WEBHOOK requests (spec §7.5).

* ``POST`` only (405 otherwise) to its path (404 elsewhere);
* the body is a JSON object (``application/json``) or a form
  (``application/x-www-form-urlencoded``); anything else is 415, a JSON body that is
  not an object 400, a body over ``max_bytes`` 413;
* with a ``secret``, ``x-axi-signature: sha1=<hex HMAC-SHA1 of the body>`` is required
  and ``x-axi-signature-256: sha256=<hex>`` checked when present (401 on a missing or
  wrong signature, compared in constant time);
* :meth:`WebhookReceiver.rate_limited` scripts a 429 with ``Retry-After``.

Accepted requests are listed by :meth:`WebhookReceiver.received`, their bodies parsed.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from devtools.fakes.service import FRONT_END_MAX_BODY, Answer, FakeService, Recorded, Reply

DEFAULT_PATH = "/hooks/atsd"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def _signed(secret: str, body: bytes, algorithm: str) -> str:
    return f"{algorithm}=" + hmac.new(secret.encode(), body, algorithm).hexdigest()


class WebhookReceiver(FakeService):
    """A receiver at ``path`` checking signatures made with ``secret`` (when set)."""

    name = "webhook"
    max_body = FRONT_END_MAX_BODY

    def __init__(
        self, port: int = 0, *, secret: str = "", path: str = DEFAULT_PATH, max_bytes: int = 1 << 20
    ) -> None:
        super().__init__(port=port)
        self.secret = secret
        self.path = path
        self.max_bytes = max_bytes

    @property
    def hook_url(self) -> str:
        return self.url + self.path

    @staticmethod
    def rate_limited(retry_after: int = 1) -> Reply:
        return Reply.rate_limited(retry_after, {"error": "slow down"})

    def received(self) -> list[Recorded]:
        """Accepted requests, oldest first."""
        return [r for r in self.log if r.accepted]

    def handle(self, record: Recorded) -> Answer:
        if record.path != self.path:
            return Answer(404, {"error": "no such hook"})
        if record.method != "POST":
            return Answer(405, {"error": "POST only"}, {"Allow": "POST"})
        if len(record.body) > self.max_bytes:
            return Answer(413, {"error": "body too large"})
        content_type = record.header("Content-Type").split(";")[0].strip().lower()
        if content_type not in (JSON, FORM):
            return Answer(415, {"error": f"unsupported content type {content_type!r}"})
        if content_type == JSON and not isinstance(record.json, dict):
            return Answer(400, {"error": "the body is not a JSON object"})
        if self.secret:
            problem = self._signature_problem(record)
            if problem:
                return Answer(401, {"error": problem})
        return Answer(200, {"ok": True})

    def _signature_problem(self, record: Recorded) -> str:
        sha1 = record.header("x-axi-signature")
        if not sha1:
            return "x-axi-signature is missing"
        if not hmac.compare_digest(sha1, _signed(self.secret, record.body, "sha1")):
            return "x-axi-signature does not match the body"
        sha256 = record.header("x-axi-signature-256")
        if sha256 and not hmac.compare_digest(sha256, _signed(self.secret, record.body, "sha256")):
            return "x-axi-signature-256 does not match the body"
        return ""


@contextmanager
def running_webhook(**options: Any) -> Iterator[WebhookReceiver]:
    """``with running_webhook(secret="s") as hook: ...`` — started, stopped afterwards."""
    with WebhookReceiver(**options) as receiver:
        yield receiver
