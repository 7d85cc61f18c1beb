"""Google Cloud Pub/Sub through its REST API, authorized by a service account's JWT.

``POST {root}/v1/projects/{project}/topics/{topic}:publish`` with
``{"messages": [{"data": base64(text), "attributes": {"severity": …}}]}``; 200 with
``{"messageIds": […]}`` is success. The ``Authorization: Bearer`` token is a JWT the
service account signs itself (google-auth's ``jwt.Credentials``, audience
``https://pubsub.googleapis.com/``: Google's "self-signed JWT" for its APIs), so no
token endpoint is called. Errors are ``{"error": {"code", "message", "status"}}``;
429 ``RESOURCE_EXHAUSTED`` and 5xx are transient, the rest permanent.

Pub/Sub cannot say what a topic received without a subscription, so
:meth:`Transport.arrivals` is not offered: ambiguous answers are sent again.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Mapping
from typing import Any, Self
from urllib.parse import quote, urlsplit, urlunsplit

from google.auth import crypt, jwt

from notifications.channels.base import SINGLE_TARGET, HttpTransport, Sent, TransportError
from notifications.channels.http import HttpClient, HttpResult, HttpSettings
from notifications.rendering.truncate import cut_text

PUBSUB_ROOT = "https://pubsub.googleapis.com"
AUDIENCE = PUBSUB_ROOT + "/"
KEY_FIELDS = ("client_email", "private_key", "private_key_id")


def service_account_info(text: str) -> dict[str, Any]:
    """The parsed JSON key file of a service account; ValueError saying what is wrong."""
    try:
        info = json.loads(text)
    except ValueError:
        raise ValueError("the service account key is not JSON (paste the key file)") from None
    if not isinstance(info, dict) or any(not info.get(k) for k in KEY_FIELDS):
        raise ValueError(f"the service account key needs {', '.join(KEY_FIELDS)}")
    return info


@functools.lru_cache(maxsize=64)
def _signer(key_file: str) -> tuple[crypt.Signer, str, str]:
    """``(signer, account e-mail, private key)`` of a key file. Cached: loading an RSA key
    checks it (tens of milliseconds), and every delivery configures its transport anew."""
    info = service_account_info(key_file)
    signer = crypt.RSASigner.from_service_account_info(info)
    return signer, str(info["client_email"]), str(info["private_key"])


def api_root(base_url: str) -> str:
    """The API's root: the endpoint URL without ATSD's ``/v1/projects/…:publish`` path."""
    if not base_url.strip():
        return PUBSUB_ROOT
    parts = urlsplit(base_url.strip())
    path = parts.path.split("/v1/", 1)[0] if "/v1/" in parts.path else parts.path
    return urlunsplit((parts.scheme, parts.netloc, path, "", "")).rstrip("/")


class PubSubTransport(HttpTransport):
    """Publishes each notification as one message to the endpoint's topic."""

    label = "Google Cloud Pub/Sub"
    #: Pub/Sub takes up to 10 MB per request; cut well below it, counting characters.
    text_limit = 65_536

    def __init__(self, url: str, credentials: jwt.Credentials, client: HttpClient) -> None:
        super().__init__(client)
        self.url = url
        self.credentials = credentials

    @classmethod
    def configure(cls, parameters: Mapping[str, str], *, base_url: str, http: HttpSettings) -> Self:
        project = parameters.get("projectId", "").strip()
        topic = parameters.get("topic", "").strip()
        key = parameters.get("serviceAccountKey", "").strip()
        if not project or not topic:
            raise TransportError(
                "Google Cloud Pub/Sub: Project ID and Topic are required", permanent=True
            )
        if not key:
            raise TransportError(
                "Google Cloud Pub/Sub: Service Account Key is not set", permanent=True
            )
        try:
            signer, email, private_key = _signer(key)
        except ValueError as exc:
            raise TransportError(f"Google Cloud Pub/Sub: {exc}", permanent=True) from None
        credentials = jwt.Credentials(signer, email, email, AUDIENCE)
        path = f"/v1/projects/{quote(project, safe='')}/topics/{quote(topic, safe='')}:publish"
        secrets = (key, private_key)
        return cls(api_root(base_url) + path, credentials, HttpClient(http, secrets=secrets))

    def bearer(self) -> str:
        """A fresh self-signed JWT (google-auth signs it with the account's private key)."""
        self.credentials.refresh(None)
        token = self.credentials.token
        return token.decode() if isinstance(token, bytes) else str(token)

    def error_text(self, result: HttpResult) -> str:
        try:
            error = json.loads(result.body_text)["error"]
            return f"HTTP {result.status}: {error['status']}: {error['message']}"
        except (ValueError, KeyError, TypeError):
            return super().error_text(result)

    def message_id(self, result: HttpResult) -> str:
        try:
            return str(json.loads(result.body_text)["messageIds"][0])
        except (ValueError, KeyError, IndexError, TypeError):
            return ""

    def send_text(
        self, text: str, *, severity: str = "UNDEFINED", target: str = SINGLE_TARGET
    ) -> Sent:
        data = base64.b64encode(cut_text(text, self.text_limit).encode("utf-8")).decode()
        body = {"messages": [{"data": data, "attributes": {"severity": severity}}]}
        headers = {"Authorization": f"Bearer {self.bearer()}"}
        return self.request("POST", self.url, headers=headers, json=body)
