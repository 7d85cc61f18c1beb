"""Discord webhooks: ``POST {base}/api/webhooks/{id}/{token}?wait=true``.

Contract (Discord developer documentation, *Execute Webhook*; spec §7.5): no
authentication beyond the token in the path; a JSON body with ``content`` (at most
2 000 characters), ``username`` (1 to 80, never containing "clyde" or "discord") and
``embeds`` (at most 10, a description at most 4 096 characters); files as
``multipart/form-data`` with the JSON in ``payload_json`` and each file in ``files[n]``.
With ``wait=true`` Discord answers the created message (its ``id`` goes to the log).
Errors are ``{"message", "code", "errors"}``; a rate limit is 429 with the wait in
seconds in the body's ``retry_after`` (a float) and in ``Retry-After``.

A details table goes as an embed "Alert Details" with the table in a code block;
charts are files, which Discord serves to anyone holding their URL.

A webhook cannot list what its channel received (reading history needs a bot), so a
request whose answer was lost is sent again: at least once.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from notifications.channels.base import (
    SINGLE_TARGET,
    Attachment,
    Footprint,
    HttpTransport,
    Sent,
    TransportError,
    json_object,
    parse_retry_after,
)
from notifications.channels.http import HttpClient, HttpResult, HttpSettings
from notifications.rendering.truncate import cut_text

DEFAULT_BASE_URL = "https://discord.com"
CONTENT_LIMIT = 2_000
USERNAME_LIMIT = 80
DESCRIPTION_LIMIT = 4_096
DETAILS_TITLE = "Alert Details"
#: Words Discord refuses in a webhook's username.
FORBIDDEN_NAMES = ("clyde", "discord")
MESSAGE_ITEM, FILE_ITEM = "message", "file"
_WEBHOOK_PATH = re.compile(r"/api(?:/v\d+)?/webhooks/(\d+)/([A-Za-z0-9_.-]+)/?$")


def split_webhook_url(url: str) -> tuple[str, str] | None:
    """``(id, token)`` of a webhook URL (``https://discord.com/api/webhooks/ID/TOKEN``,
    ``discordapp.com``, ``/api/v10/``), or None when ``url`` is not one."""
    match = _WEBHOOK_PATH.search(urlsplit(url.strip()).path)
    return (match.group(1), match.group(2)) if match else None


@dataclass(frozen=True)
class DiscordConfig:
    """One Discord webhook with its parameters resolved."""

    webhook_id: str
    webhook_token: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    username: str = ""
    http: HttpSettings = field(default_factory=HttpSettings)

    @classmethod
    def from_parameters(
        cls, parameters: Mapping[str, str], *, base_url: str = "", http: HttpSettings | None = None
    ) -> DiscordConfig:
        return cls(
            webhook_id=parameters.get("webhook_id", "").strip(),
            webhook_token=parameters.get("webhook_token", "").strip(),
            base_url=base_url or DEFAULT_BASE_URL,
            username=parameters.get("username", "").strip(),
            http=http or HttpSettings(),
        )


class DiscordTransport(HttpTransport):
    """Executes one Discord webhook: texts, details embeds and files."""

    label = "Discord"
    text_limit = CONTENT_LIMIT
    text_parameter = "content"
    rendered_parameters = ("username",)

    def __init__(
        self,
        config: DiscordConfig,
        *,
        client: HttpClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not config.webhook_id or not config.webhook_token:
            raise TransportError("Discord webhook id and token are not set", permanent=True)
        secrets = (config.webhook_token,)
        super().__init__(client or HttpClient(config.http, secrets=secrets), clock=clock)
        self.config = config

    @classmethod
    def configure(
        cls, parameters: Mapping[str, str], *, base_url: str, http: HttpSettings
    ) -> DiscordTransport:
        return cls(DiscordConfig.from_parameters(parameters, base_url=base_url, http=http))

    @classmethod
    def message_format(cls, parameters: Mapping[str, str]) -> str:
        """Discord writes links in Markdown."""
        return "markdown"

    def webhook_url(self) -> str:
        token = quote(self.config.webhook_token, safe="")
        base = self.config.base_url.rstrip("/")
        return f"{base}/api/webhooks/{quote(self.config.webhook_id, safe='')}/{token}"

    # ------------------------------------------------------------ answers

    def error_text(self, result: HttpResult) -> str:
        """``HTTP <status>: <message> (code N)`` and the first field error Discord names."""
        body = json_object(result.body_text)
        if not body or not body.get("message"):
            return super().error_text(result)
        text = f"HTTP {result.status}: {body['message']}"
        if body.get("code"):
            text += f" (code {body['code']})"
        detail = _first_field_error(body.get("errors"))
        return f"{text}; {detail}" if detail else text

    def retry_after(self, result: HttpResult, now: float) -> float | None:
        """The longer of the body's ``retry_after`` and ``Retry-After``."""
        waits = [parse_retry_after(result.headers.get("Retry-After", ""), now)]
        body = json_object(result.body_text) or {}
        with contextlib.suppress(KeyError, TypeError, ValueError):
            waits.append(max(0.0, float(body["retry_after"])))
        known = [w for w in waits if w is not None]
        return max(known) if known else None

    def message_id(self, result: HttpResult) -> str:
        body = json_object(result.body_text) or {}
        return str(body.get("id") or "")

    # ------------------------------------------------------------- sending

    def _payload(self, content: str) -> dict[str, Any]:
        payload: dict[str, Any] = {"content": cut_text(content, CONTENT_LIMIT)}
        if self.config.username:
            payload["username"] = self.config.username[:USERNAME_LIMIT]
        return payload

    def _execute(self, footprint: Footprint, **kwargs: Any) -> Sent:
        return self.request(
            "POST", self.webhook_url(), params={"wait": "true"}, footprint=footprint, **kwargs
        )

    def send_text(
        self, text: str, *, severity: str = "UNDEFINED", target: str = SINGLE_TARGET
    ) -> Sent:
        """The text as the message's content."""
        if not text.strip():
            raise TransportError("Discord rejects an empty message; nothing sent", permanent=True)
        payload = self._payload(text)
        footprint = Footprint(self.config.webhook_id, MESSAGE_ITEM, payload["content"])
        return self._execute(footprint, json=payload)

    def send_file(self, file: Attachment, *, target: str = SINGLE_TARGET) -> Sent:
        """A details table as an "Alert Details" embed; any other file as a file."""
        if file.content_type.startswith("text/plain"):
            table = file.content.decode("utf-8", errors="replace")
            payload = self._payload(file.caption or file.name)
            fence = "```"
            description = fence + cut_text(table, DESCRIPTION_LIMIT - 2 * len(fence)) + fence
            payload["embeds"] = [{"title": DETAILS_TITLE, "description": description}]
            footprint = Footprint(self.config.webhook_id, MESSAGE_ITEM, payload["content"])
            return self._execute(footprint, json=payload)
        payload = self._payload(file.caption) if file.caption else {}
        if self.config.username and "username" not in payload:
            payload["username"] = self.config.username[:USERNAME_LIMIT]
        payload["attachments"] = [{"id": 0, "filename": file.name}]
        body, content_type = build_form_data(payload, file)
        footprint = Footprint(self.config.webhook_id, FILE_ITEM, file.caption, file.name)
        return self._execute(footprint, headers={"Content-Type": content_type}, data=body)


def build_form_data(payload: Mapping[str, Any], file: Attachment) -> tuple[bytes, str]:
    """(body, Content-Type) of a ``multipart/form-data`` request: ``payload_json``, then
    the file as ``files[0]``."""
    boundary = f"atsd-alerts-{uuid.uuid4().hex}"
    filename = re.sub(r'[\r\n"\\]', "_", file.name)
    crlf = b"\r\n"
    chunks = [
        f"--{boundary}".encode(),
        b'Content-Disposition: form-data; name="payload_json"',
        b"Content-Type: application/json",
        b"",
        json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        f"--{boundary}".encode(),
        f'Content-Disposition: form-data; name="files[0]"; filename="{filename}"'.encode(),
        f"Content-Type: {file.content_type}".encode("latin-1"),
        b"",
        file.content,
        f"--{boundary}--".encode(),
        b"",
    ]
    return crlf.join(chunks), f"multipart/form-data; boundary={boundary}"


def _first_field_error(errors: Any, path: str = "") -> str:
    """``field: message`` of the first ``_errors`` entry in Discord's nested errors."""
    if not isinstance(errors, dict):
        return ""
    found = errors.get("_errors")
    if isinstance(found, list) and found and isinstance(found[0], dict):
        return f"{path or 'body'}: {found[0].get('message', '')}"
    for key, value in errors.items():
        detail = _first_field_error(value, f"{path}.{key}" if path else str(key))
        if detail:
            return detail
    return ""
