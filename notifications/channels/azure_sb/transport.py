"""Azure Service Bus (queues, topics) and Event Hubs through their REST API, with a
Shared Access Signature.

``POST {root}/{destination}/messages[?{query parameters}]``, the rendered message as
the body, ``Authorization: SharedAccessSignature sr=…&sig=…&se=…&skn=…``; 201 Created
is success ("Send Message", "Service Bus authentication with Shared Access Signatures").
The signature is the documented one: base64 of HMAC-SHA256, keyed with the policy's
key, over the URL-encoded resource URI, a newline and the expiry (Unix seconds); the
standard library's ``hmac`` computes it, Azure publishing no smaller library for it.
Service Bus says "busy" with 503 (or 429 with ``Retry-After``): both transient.

The service cannot list what an entity received without receiving it, so
:meth:`Transport.arrivals` is not offered: ambiguous answers are sent again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Self
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

from notifications.channels.base import SINGLE_TARGET, HttpTransport, Sent, TransportError
from notifications.channels.http import HttpClient, HttpSettings
from notifications.rendering.truncate import cut_text

#: How long a signature stays valid: long enough for one request and its answer.
TOKEN_LIFETIME_S = 300
CONTENT_TYPE = "application/atom+xml;type=entry;charset=utf-8"


def sas_token(resource_uri: str, key_name: str, key: str, expiry: int) -> str:
    """The ``SharedAccessSignature`` header value for ``resource_uri`` until ``expiry``."""
    encoded = quote_plus(resource_uri)
    digest = hmac.new(key.encode(), f"{encoded}\n{expiry}".encode(), hashlib.sha256).digest()
    signature = quote_plus(base64.b64encode(digest).decode())
    return f"SharedAccessSignature sr={encoded}&sig={signature}&se={expiry}&skn={key_name}"


def header_lines(text: str) -> dict[str, str]:
    """``Name: value`` lines as a dict (the form refuses lines without a colon)."""
    pairs = (line.partition(":") for line in text.splitlines())
    return {name.strip(): value.strip() for name, _, value in pairs if name.strip()}


def namespace_root(base_url: str, namespace: str) -> str:
    """The namespace's URL: the endpoint URL without an entity's ``/{name}/messages`` path
    (ATSD stores the full URL), or ``https://{namespace}.servicebus.windows.net``."""
    if not base_url.strip():
        return f"https://{namespace.strip()}.servicebus.windows.net"
    parts = urlsplit(base_url.strip())
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) >= 2 and segments[-1] == "messages":
        segments = segments[:-2]
    return urlunsplit((parts.scheme, parts.netloc, "/".join(["", *segments]), "", "")).rstrip("/")


@dataclass(frozen=True)
class AzureConfig:
    """Where and as whom one Service Bus endpoint sends."""

    root: str
    destination: str
    query: str
    key_name: str
    key: str = field(repr=False)
    headers: Mapping[str, str] = field(default_factory=dict)


class ServiceBusTransport(HttpTransport):
    """Sends each notification as one message to the endpoint's destination."""

    label = "Azure Service Bus"
    #: Standard tier messages are at most 256 KiB; cut below it, counting characters.
    text_limit = 65_536

    def __init__(
        self, config: AzureConfig, client: HttpClient, *, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(client, clock=clock)
        self.config = config

    @classmethod
    def configure(cls, parameters: Mapping[str, str], *, base_url: str, http: HttpSettings) -> Self:
        destination = parameters.get("destination", "").strip().strip("/")
        namespace = parameters.get("servicebusNamespace", "").strip()
        key_name = parameters.get("keyName", "").strip()
        key = parameters.get("primaryKey", "").strip()
        if not destination:
            raise TransportError("Azure Service Bus: Destination is not set", permanent=True)
        if not base_url.strip() and not namespace:
            raise TransportError("Azure Service Bus: Namespace is not set", permanent=True)
        if not key_name or not key:
            raise TransportError(
                "Azure Service Bus: Key Name and Primary Key are required", permanent=True
            )
        headers = header_lines(parameters.get("headers", ""))
        config = AzureConfig(
            namespace_root(base_url, namespace), destination,
            parameters.get("pathParameters", "").strip().lstrip("?"), key_name, key, headers,
        )  # fmt: skip
        return cls(config, HttpClient(http, secrets=(key,)))

    def entity_url(self) -> str:
        return f"{self.config.root}/{quote(self.config.destination, safe='/')}"

    def send_text(
        self, text: str, *, severity: str = "UNDEFINED", target: str = SINGLE_TARGET
    ) -> Sent:
        text = cut_text(text, self.text_limit)
        entity = self.entity_url()
        url = f"{entity}/messages" + (f"?{self.config.query}" if self.config.query else "")
        expiry = int(self._clock()) + TOKEN_LIFETIME_S
        headers = {
            "Content-Type": CONTENT_TYPE,
            **self.config.headers,
            "Authorization": sas_token(entity, self.config.key_name, self.config.key, expiry),
        }
        return self.request("POST", url, headers=headers, data=text.encode("utf-8"))
