"""Slack Web API: ``chat.postMessage`` per channel, files through the external upload.

Contract (docs.slack.dev, Web API reference): every method is ``POST {base}/{method}``
with ``Authorization: Bearer <bot token>``; JSON bodies need ``charset=utf-8`` in their
Content-Type. Slack answers most errors with HTTP 200 and ``{"ok": false, "error":
code}``, and a rate limit with 429 and ``Retry-After`` seconds. Spec §7.5 names the
endpoint's fields: channels (one post each), username, text, parse mode, link names;
links in messages are written ``<url|label>`` (the ``pipe`` style).

Files use the upload flow that replaced ``files.upload`` (retired 2025):
``files.getUploadURLExternal`` (filename, length) → the bytes POSTed to the answered
``upload_url`` (a pre-signed URL: the token is not sent there) →
``files.completeUploadExternal`` with the file id, the channel's *id* and the caption
as ``initial_comment``. A details table (a ``text/plain`` file) is posted instead as a
message with an "Alert Details" attachment holding the table in a code block (§7.5).

What a channel received is read with ``conversations.history`` (scope
``channels:history``/``groups:history``), which is how a request whose answer was lost
is looked for. Uploads and history need channel ids; a channel given by name is looked
up with ``conversations.list`` (scope ``channels:read``/``groups:read``).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from notifications.channels.base import (
    SINGLE_TARGET,
    Attachment,
    Footprint,
    HistoryUnavailable,
    HttpTransport,
    Sent,
    TransportError,
    json_object,
)
from notifications.channels.http import HttpClient, HttpResult, HttpSettings
from notifications.rendering.truncate import cut_text

DEFAULT_BASE_URL = "https://slack.com/api"
#: chat.postMessage truncates longer texts; msg_too_long past it.
TEXT_LIMIT = 40_000
PARSE_MODES = ("", "none", "full")
MESSAGE_ITEM, FILE_ITEM = "message", "file"  # footprint kinds of a post and a shared file
DETAILS_TITLE = "Alert Details"
# Channel ids: C (public), G (private, legacy), D (direct) and upper-case letters/digits.
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")
HISTORY_PAGE = 200
HISTORY_PAGES = 5
LIST_PAGE = 1000
LIST_PAGES = 20

#: ``ok: false`` codes that may succeed when sent again (Slack's own wording: "a
#: transient issue on our end"); every other code describes the request or the
#: token, and sending it again cannot help.
TRANSIENT_ERRORS = frozenset(
    {
        "ratelimited",
        "rate_limited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "team_added_to_org",
    }
)
#: A hint for the administrator after codes that mean the endpoint is misconfigured.
HINTS: Mapping[str, str] = {
    "not_in_channel": "invite the app to the channel (/invite @app)",
    "channel_not_found": "check the channel name or id, and invite the app to private channels",
    "missing_scope": "add the scope to the app and reinstall it",
    "invalid_auth": "check the Bot User OAuth Token",
    "not_authed": "set the Bot User OAuth Token",
    "token_revoked": "the token was revoked: install the app again",
    "is_archived": "the channel is archived",
}


def split_channels(raw: str) -> tuple[str, ...]:
    """The channels of a ``channels`` value: comma (or space) separated, duplicates once."""
    names = (name.strip() for name in re.split(r"[,\s]+", raw))
    return tuple(dict.fromkeys(name for name in names if name))


def is_channel_id(channel: str) -> bool:
    return bool(_CHANNEL_ID.match(channel))


@dataclass(frozen=True)
class SlackConfig:
    """One Slack endpoint with its parameters resolved (spec §7.5)."""

    token: str = field(repr=False)
    channels: tuple[str, ...]
    base_url: str = DEFAULT_BASE_URL
    username: str = ""
    parse: str = ""
    link_names: bool = False
    http: HttpSettings = field(default_factory=HttpSettings)

    @classmethod
    def from_parameters(
        cls, parameters: Mapping[str, str], *, base_url: str = "", http: HttpSettings | None = None
    ) -> SlackConfig:
        return cls(
            token=parameters.get("token", "").strip(),
            channels=split_channels(parameters.get("channels", "")),
            base_url=base_url or DEFAULT_BASE_URL,
            username=parameters.get("username", "").strip(),
            parse=parameters.get("parse", "").strip().lower(),
            link_names=parameters.get("link_names", "").strip().lower() == "true",
            http=http or HttpSettings(),
        )


class SlackTransport(HttpTransport):
    """Posts to each of an endpoint's Slack channels, one request per channel."""

    label = "Slack"
    text_limit = TEXT_LIMIT
    text_parameter = "text"
    rendered_parameters = ("channels", "username")

    def __init__(
        self,
        config: SlackConfig,
        *,
        client: HttpClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not config.token:
            raise TransportError("Slack Bot User OAuth Token is not set", permanent=True)
        if not config.channels:
            raise TransportError("Slack channels are not set", permanent=True)
        if config.parse not in PARSE_MODES:
            raise TransportError(f"unknown Slack parse mode {config.parse!r}", permanent=True)
        secrets = (config.token,)
        super().__init__(client or HttpClient(config.http, secrets=secrets), clock=clock)
        self.config = config
        self._channel_ids: dict[str, str] = {}

    @classmethod
    def configure(
        cls, parameters: Mapping[str, str], *, base_url: str, http: HttpSettings
    ) -> SlackTransport:
        return cls(SlackConfig.from_parameters(parameters, base_url=base_url, http=http))

    @classmethod
    def message_format(cls, parameters: Mapping[str, str]) -> str:
        """Slack's mrkdwn writes links ``<url|label>``."""
        return "pipe"

    def targets(self) -> tuple[str, ...]:
        return self.config.channels

    # ------------------------------------------------------------ answers

    def method_url(self, method: str) -> str:
        return f"{self.config.base_url.rstrip('/')}/{method}"

    def _headers(self, content_type: str = "") -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.config.token}", "Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        return headers

    def classify(self, result: HttpResult) -> TransportError | None:
        """A 2xx whose body says ``ok: false`` is an error: transient for Slack's own
        trouble and rate limits, permanent for everything else."""
        error = super().classify(result)
        if error is not None or result.status >= 300:
            return error
        code = _error_code(result.body_text)
        if code is None:
            return None
        transient = code in TRANSIENT_ERRORS
        return TransportError(
            self.client.redact(f"Slack error: {self.error_text(result)}"),
            permanent=not transient,
            status=result.status,
            retry_after_s=self.retry_after(result, self._clock()) if transient else None,
            response_text=self.client.redact(result.body_text),
            elapsed_ms=result.elapsed_ms,
        )

    def error_text(self, result: HttpResult) -> str:
        """``<code>`` from Slack's body (with a hint for configuration errors and the
        scope a ``missing_scope`` needed), else the HTTP status."""
        body = json_object(result.body_text) or {}
        code = str(body.get("error") or "")
        if not code:
            return super().error_text(result)
        text = f"HTTP {result.status}: {code}"
        if code == "missing_scope" and body.get("needed"):
            text += f" (needed: {body['needed']})"
        if code in HINTS:
            text += f" - {HINTS[code]}"
        return text

    def message_id(self, result: HttpResult) -> str:
        """The posted message's ``ts`` (chat.postMessage), or the shared file's id."""
        body = json_object(result.body_text) or {}
        if body.get("ts"):
            return str(body["ts"])
        files = body.get("files")
        if isinstance(files, list) and files and isinstance(files[0], dict):
            return str(files[0].get("id") or "")
        return ""

    def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        """One API method; its answer's JSON object (``ok`` true: :meth:`classify` ran)."""
        sent = self.request(
            "POST" if "data" in kwargs else "GET", self.method_url(method), **kwargs
        )
        return json_object(sent.response_text) or {}

    # ------------------------------------------------------------- sending

    def message_payload(self, channel: str, text: str) -> dict[str, Any]:
        """The chat.postMessage body for ``channel`` with the endpoint's options."""
        payload: dict[str, Any] = {"channel": channel, "text": cut_text(text, TEXT_LIMIT)}
        if self.config.username:
            payload["username"] = self.config.username
        if self.config.parse:
            payload["parse"] = self.config.parse
        if self.config.link_names:
            payload["link_names"] = True
        return payload

    def _post_message(self, payload: dict[str, Any], footprint: Footprint) -> Sent:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        sent = self.request(
            "POST",
            self.method_url("chat.postMessage"),
            headers=self._headers("application/json; charset=utf-8"),
            data=body,
            footprint=footprint,
        )
        answer = json_object(sent.response_text) or {}
        if answer.get("channel"):
            self._channel_ids[payload["channel"]] = str(answer["channel"])
        return sent

    def send_text(
        self, text: str, *, severity: str = "UNDEFINED", target: str = SINGLE_TARGET
    ) -> Sent:
        """``chat.postMessage`` to ``target`` (the first channel when none is named)."""
        channel = target or self.config.channels[0]
        if not text.strip():
            raise TransportError("Slack rejects an empty message; nothing sent", permanent=True)
        payload = self.message_payload(channel, text)
        footprint = Footprint(channel, MESSAGE_ITEM, payload["text"])
        return self._post_message(payload, footprint)

    def send_file(self, file: Attachment, *, target: str = SINGLE_TARGET) -> Sent:
        """A details table as an "Alert Details" message; any other file uploaded."""
        channel = target or self.config.channels[0]
        if file.content_type.startswith("text/plain"):
            return self._send_details(file, channel)
        return self._upload(file, channel)

    def _send_details(self, file: Attachment, channel: str) -> Sent:
        text = file.caption or file.name
        table = file.content.decode("utf-8", errors="replace")
        fence = "```"
        payload = self.message_payload(channel, text)
        payload["attachments"] = [
            {
                "title": DETAILS_TITLE,
                "fallback": f"{DETAILS_TITLE}: {file.name}",
                "text": fence + cut_text(table, TEXT_LIMIT - 2 * len(fence)) + fence,
                "mrkdwn_in": ["text"],
            }
        ]
        return self._post_message(payload, Footprint(channel, MESSAGE_ITEM, payload["text"]))

    def _upload(self, file: Attachment, channel: str) -> Sent:
        channel_id = self.channel_id(channel)
        form = urlencode({"filename": file.name, "length": str(len(file.content))})
        ticket = self._call(
            "files.getUploadURLExternal",
            headers=self._headers("application/x-www-form-urlencoded"),
            data=form.encode("ascii"),
        )
        upload_url, file_id = str(ticket.get("upload_url") or ""), str(ticket.get("file_id") or "")
        if not upload_url or not file_id:
            raise TransportError("Slack answered no upload_url/file_id", permanent=False)
        # The pre-signed upload URL needs no token: it is not sent off the API host.
        self.request(
            "POST", upload_url, headers={"Content-Type": "application/octet-stream"},
            data=file.content,
        )  # fmt: skip
        complete: dict[str, Any] = {
            "files": [{"id": file_id, "title": file.caption or file.name}],
            "channel_id": channel_id,
        }
        if file.caption:
            complete["initial_comment"] = file.caption
        return self.request(
            "POST",
            self.method_url("files.completeUploadExternal"),
            headers=self._headers("application/json; charset=utf-8"),
            data=json.dumps(complete, ensure_ascii=False).encode("utf-8"),
            footprint=Footprint(channel, FILE_ITEM, file.caption, file.name),
        )

    # ------------------------------------------------------------ channels

    def channel_id(self, channel: str) -> str:
        """The id of ``channel`` (an id already, learnt from a post, or looked up by name).

        Raises a permanent :class:`TransportError` when no channel the app sees has
        that name.
        """
        if is_channel_id(channel):
            return channel
        if channel in self._channel_ids:
            return self._channel_ids[channel]
        name = channel.lstrip("#")
        cursor = ""
        for _ in range(LIST_PAGES):
            params = {"types": "public_channel,private_channel", "limit": str(LIST_PAGE)}
            if cursor:
                params["cursor"] = cursor
            answer = self._call("conversations.list", headers=self._headers(), params=params)
            for item in answer.get("channels") or []:
                if isinstance(item, dict) and item.get("name") == name:
                    self._channel_ids[channel] = str(item["id"])
                    return self._channel_ids[channel]
            cursor = _next_cursor(answer)
            if not cursor:
                break
        raise TransportError(
            f"Slack channel {channel!r} not found: use its id (C...) or invite the app",
            permanent=True,
        )

    def channel_history(self, channel: str, since: datetime) -> list[dict[str, Any]]:
        """Messages of ``channel`` since ``since``, oldest first.

        Raises :class:`HistoryUnavailable` when Slack refuses (no history scope, no
        such channel) or more messages arrived than a few pages hold.
        """
        try:
            channel_id = self.channel_id(channel)
        except TransportError as exc:
            if exc.permanent:
                raise HistoryUnavailable(exc.message) from None
            raise
        messages: list[dict[str, Any]] = []
        cursor = ""
        for _ in range(HISTORY_PAGES):
            params = {
                "channel": channel_id,
                "oldest": f"{since.timestamp():.6f}",
                "limit": str(HISTORY_PAGE),
            }
            if cursor:
                params["cursor"] = cursor
            try:
                answer = self._call("conversations.history", headers=self._headers(), params=params)
            except TransportError as exc:
                if exc.permanent:
                    raise HistoryUnavailable(
                        f"the channel's history cannot be read: {exc}"
                    ) from None
                raise
            messages += [m for m in answer.get("messages") or [] if isinstance(m, dict)]
            cursor = _next_cursor(answer)
            if not cursor:
                return sorted(messages, key=lambda m: float(m.get("ts") or 0))
        raise HistoryUnavailable(
            f"more than {HISTORY_PAGE * HISTORY_PAGES} messages reached {channel} since "
            f"{since:%H:%M:%S}"
        )

    def item_footprint(self, channel: str, message: Mapping[str, Any]) -> Footprint:
        """The footprint of one history message, comparable with a request's."""
        files = message.get("files")
        text = str(message.get("text") or "")
        if isinstance(files, list) and files and isinstance(files[0], dict):
            return Footprint(channel, FILE_ITEM, text, str(files[0].get("name") or ""))
        return Footprint(channel, MESSAGE_ITEM, text)

    def arrivals(self, digest: str, since: datetime) -> list[str]:
        """``ts`` of the messages since ``since`` in any of the endpoint's channels whose
        footprint has ``digest``, oldest first.

        Slack stores a text as posted when it holds no ``&``, ``<`` or ``>`` outside
        links; a text Slack rewrote is not recognised, and is then sent again (at least
        once).
        """
        return [
            str(message.get("ts") or "")
            for channel in self.config.channels
            for message in self.channel_history(channel, since)
            if self.item_footprint(channel, message).digest() == digest
        ]


def _error_code(text: str) -> str | None:
    """Slack's error code when ``text`` is an ``ok: false`` answer, else None."""
    body = json_object(text)
    if body is None or body.get("ok") is not False:
        return None
    return str(body.get("error") or "unknown_error")


def _next_cursor(answer: Mapping[str, Any]) -> str:
    metadata = answer.get("response_metadata")
    return str(metadata.get("next_cursor") or "") if isinstance(metadata, dict) else ""
