"""WEBHOOK: the trigger's window fields POSTed to the endpoint's URL (spec §7.5).

The body is the JSON object of :mod:`notifications.rendering.window_fields`, or its
fields as a form (``application/x-www-form-urlencoded``: nested names joined with
``.``, pairs sorted by name). With a secret, the body is signed as ATSD signs it,
``x-axi-signature: sha1=<lower-case hex HMAC-SHA1 of the body>`` (for a form the body
is exactly the sorted, URL-encoded ``name=value`` pairs ATSD signs), and beside it
``x-axi-signature-256: sha256=<hex HMAC-SHA256>`` for receivers that no longer accept
SHA-1. A text that is not a JSON object (the endpoint page's **Test**, a chart's
fallback text) goes as ``{"message": text}``.

A webhook receiver cannot be asked what it received: a request whose answer was lost
is sent again (at least once); receivers de-duplicate by the fields they got.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from notifications.channels.base import (
    SINGLE_TARGET,
    Footprint,
    HttpTransport,
    Sent,
    TransportError,
)
from notifications.channels.http import HttpClient, HttpSettings
from notifications.rendering.window_fields import flat_fields

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
CONTENT_TYPES = (JSON, FORM)
SIGNATURE_HEADER = "x-axi-signature"
SIGNATURE_256_HEADER = "x-axi-signature-256"
FOOTPRINT_KIND = "webhook"


def signature_headers(secret: str, body: bytes) -> dict[str, str]:
    """The two signature headers of ``body`` under ``secret`` (none without a secret)."""
    if not secret:
        return {}
    key = secret.encode("utf-8")
    return {
        SIGNATURE_HEADER: "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest(),
        SIGNATURE_256_HEADER: "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest(),
    }


def encode_body(document: Mapping[str, Any], content_type: str) -> bytes:
    """``document`` as a JSON or a form body."""
    if content_type == FORM:
        return urlencode(sorted(flat_fields(document))).encode("ascii")
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class WebhookConfig:
    """One WEBHOOK endpoint: its URL, body type and optional signing secret."""

    url: str
    content_type: str = JSON
    secret: str = field(default="", repr=False)
    http: HttpSettings = field(default_factory=HttpSettings)


class WebhookTransport(HttpTransport):
    """POSTs window fields to one URL; any 2xx is success."""

    label = "Webhook"
    sends_window_fields = True

    def __init__(
        self,
        config: WebhookConfig,
        *,
        client: HttpClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not config.url.strip():
            raise TransportError("Webhook URL is not set", permanent=True)
        if config.content_type not in CONTENT_TYPES:
            raise TransportError(
                f"unknown webhook content type {config.content_type!r}", permanent=True
            )
        super().__init__(client or HttpClient(config.http, secrets=(config.secret,)), clock=clock)
        self.config = config

    @classmethod
    def configure(
        cls, parameters: Mapping[str, str], *, base_url: str, http: HttpSettings
    ) -> WebhookTransport:
        config = WebhookConfig(
            url=base_url,
            content_type=parameters.get("content_type", "").strip() or JSON,
            secret=parameters.get("secret", ""),
            http=http,
        )
        return cls(config)

    def document(self, text: str) -> dict[str, Any]:
        """The object ``text`` holds, or ``{"message": text}``."""
        try:
            document = json.loads(text)
        except ValueError:
            document = None
        return document if isinstance(document, dict) else {"message": text}

    def send_text(
        self, text: str, *, severity: str = "UNDEFINED", target: str = SINGLE_TARGET
    ) -> Sent:
        """POST the fields (or the text) as the endpoint's content type, signed."""
        content_type = self.config.content_type
        body = encode_body(self.document(text), content_type)
        headers = {"Content-Type": content_type, **signature_headers(self.config.secret, body)}
        footprint = Footprint(self.config.url, FOOTPRINT_KIND, body.decode("utf-8"))
        return self.request(
            "POST", self.config.url, headers=headers, data=body, footprint=footprint
        )
