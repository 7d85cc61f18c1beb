"""HipChat REST API v2 (Cloud, Server and Data Center).

Contract: ``../shared/spec/hipchat-v2.md`` §1 and ``atsd-rule-engine.md`` §7.4.
Everything is sent the safest way the spec allows: a Bearer header (query
tokens land in access logs), boolean ``notify``, ``%20`` in room names and
messages cut to the documented limits.

HipChat's limits (§1.6: per token, 500 requests per 5 minutes; per room, 30
messages a minute) are honoured before sending: every request spends from the
shared budget of its token, and one that posts into the room from the room's too
(:mod:`notifications.channels.rate_budget`), which the ``X-Ratelimit-*`` and
``X-FloodControl-*`` headers of every answer keep up to date. A request whose
budget is spent does not leave: it is a transient error marked ``held``, to be
sent when the window resets.

The room's history (``GET /v2/room/{room}/history/latest``) answers whether a
message whose answer was lost reached the room; its shape (items with ``id``,
``date``, ``type``, ``message``, ``file.name``; ``max-results`` up to 1000,
newest messages in real time, oldest first) is inferred from client libraries
(viascom/hipchat-api ``ViewRecentRoomHistory``, robertzk/hipchat ``history.R``),
as the spec's §1.4 lists no history method.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from notifications.channels import rate_budget
from notifications.channels.base import (
    SINGLE_TARGET,
    Attachment,
    Footprint,
    HistoryUnavailable,
    HttpTransport,
    Sent,
    TransportError,
    parse_retry_after,
)
from notifications.channels.http import HttpClient, HttpResult, HttpSettings
from notifications.rendering.truncate import cut_html, cut_text

DEFAULT_BASE_URL = "https://api.hipchat.com"
NOTIFICATION_LIMIT = 10_000
# Limit from the old method reference, unconfirmed (hipchat-v2.md §1.3).
CAPTION_LIMIT = 1_000
FROM_LIMIT = 64
# The most messages one read of a room's recent history returns (inferred, see above).
HISTORY_MAX_RESULTS = 1000
NOTIFICATION_ITEM, MESSAGE_ITEM = "notification", "message"  # history item types
#: Response headers that carry a Unix time at which a limit resets, each with the
#: "remaining" header of the same family (hipchat-v2.md §1.6).
RESET_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Ratelimit-Reset", "X-Ratelimit-Remaining"),
    ("X-FloodControl-Reset", "X-FloodControl-Remaining"),
)
#: The documented windows of the two limit families (hipchat-v2.md §1.6): a token's
#: requests per 5 minutes, a room's messages per minute. The limits themselves are
#: taken from the headers.
TOKEN_PERIOD_S = 300.0
FLOOD_PERIOD_S = 60.0
TOKEN_FAMILY, FLOOD_FAMILY = "X-Ratelimit", "X-FloodControl"

SEVERITY_COLORS: Mapping[str, str] = {
    "UNDEFINED": "gray",
    "UNKNOWN": "gray",
    "NORMAL": "green",
    "INFO": "green",
    "WARNING": "yellow",
    "WARN": "yellow",
    "MINOR": "yellow",
    "MAJOR": "red",
    "CRITICAL": "red",
    "ERROR": "red",
    "FATAL": "red",
}


def retry_after_from_headers(headers: Mapping[str, str], now: float) -> float | None:
    """How long to wait before retrying a 429, from rate-limit headers, or None.

    A limit family whose Remaining is 0 is the one that was hit; when no family
    says so (a 429 with budget left is HipChat's flood control, per HypChat's
    ``test_rate_limit.py``), the earliest announced reset is used. ``Retry-After``
    counts too; the longest wait wins.
    """
    exhausted: list[float] = []
    announced: list[float] = []
    for reset_name, remaining_name in RESET_HEADERS:
        raw = headers.get(reset_name)
        if raw is None:
            continue
        try:
            wait = max(0.0, float(raw) - now)
        except ValueError:
            continue
        announced.append(wait)
        if str(headers.get(remaining_name, "")).strip() == "0":
            exhausted.append(wait)
    candidates = exhausted or ([min(announced)] if announced else [])
    retry_after = parse_retry_after(headers.get("Retry-After", ""), now)
    if retry_after is not None:
        candidates.append(retry_after)
    return max(candidates) if candidates else None


def color_for(severity: str) -> str:
    """HipChat colour for an ATSD severity name, any case (spec §7.4); unknown → gray."""
    return SEVERITY_COLORS.get(severity.strip().upper(), "gray")


@dataclass(frozen=True)
class HipChatConfig:
    """One HipChat endpoint with its parameters resolved.

    Tokens: ``notification_token`` (scope send_notification) posts notifications,
    ``message_token`` (scope send_message) shares files and posts messages; the
    single ``auth_token`` holding both scopes stands in for either. ``notify``
    None = *Default* (the field is omitted).
    """

    room: str
    base_url: str = DEFAULT_BASE_URL
    auth_token: str = field(default="", repr=False)
    notification_token: str = field(default="", repr=False)
    message_token: str = field(default="", repr=False)
    from_: str = ""
    message_format: str = "text"
    notify: bool | None = None
    http: HttpSettings = field(default_factory=HttpSettings)

    @classmethod
    def from_parameters(
        cls,
        parameters: Mapping[str, str],
        *,
        base_url: str = "",
        http: HttpSettings | None = None,
    ) -> HipChatConfig:
        """Build from endpoint parameter values keyed as in the registry."""
        notify_raw = parameters.get("notify", "").strip().lower()
        return cls(
            room=parameters.get("room", ""),
            base_url=base_url or DEFAULT_BASE_URL,
            auth_token=parameters.get("auth_token", ""),
            notification_token=parameters.get("notification_token", ""),
            message_token=parameters.get("message_token", ""),
            from_=parameters.get("from", ""),
            message_format=parameters.get("message_format", "") or "text",
            notify={"true": True, "false": False}.get(notify_raw),
            http=http or HttpSettings(),
        )

    def secrets(self) -> tuple[str, ...]:
        return tuple(t for t in (self.auth_token, self.notification_token, self.message_token) if t)


class HipChatTransport(HttpTransport):
    """Sends to one HipChat room: texts as room notifications, files with ``share/file``.

    Every method returns :class:`Sent` or raises :class:`TransportError` (classified by
    :class:`HttpTransport`, with HipChat's error body and rate-limit headers).
    """

    label = "HipChat"
    text_limit = NOTIFICATION_LIMIT
    rendered_parameters = ("room", "from")

    def __init__(
        self,
        config: HipChatConfig,
        *,
        client: HttpClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not config.room.strip():
            raise TransportError("HipChat room is not set", permanent=True)
        super().__init__(client or HttpClient(config.http, secrets=config.secrets()), clock=clock)
        self.config = config
        self._budgets: dict[str, rate_budget.Scope] = {}

    @classmethod
    def configure(
        cls, parameters: Mapping[str, str], *, base_url: str, http: HttpSettings
    ) -> HipChatTransport:
        return cls(HipChatConfig.from_parameters(parameters, base_url=base_url, http=http))

    # ------------------------------------------------------------ helpers

    def room_url(self, action: str = "") -> str:
        """``{base}/v2/room/{room}[/action]`` with the room percent-encoded as one segment."""
        # quote(), not quote_plus(): a "+" for a space is "Room not found" (hipchat-v2.md §1.7).
        room = quote(self.config.room.strip(), safe="")
        url = f"{self.config.base_url.rstrip('/')}/v2/room/{room}"
        return f"{url}/{action}" if action else url

    def _headers(self, scope: str) -> dict[str, str]:
        specific = (
            self.config.notification_token
            if scope == "send_notification"
            else self.config.message_token
        )
        token = specific or self.config.auth_token
        if not token:
            raise TransportError(f"HipChat token with scope {scope} is not set", permanent=True)
        return _bearer(token)

    def _footprint(self, kind: str, text: str, file_name: str = "") -> Footprint:
        return Footprint(self.config.room.strip(), kind, text, file_name)

    def error_text(self, result: HttpResult) -> str:
        """``HTTP <status>: <error.message> (field <error.field>)`` from HipChat's body."""
        try:
            error = json.loads(result.body_text)["error"]
            message = str(error["message"])
        except (ValueError, KeyError, TypeError):
            return super().error_text(result)
        if error.get("field"):
            message += f" (field {error['field']})"
        return f"HTTP {result.status}: {message}"

    # ------------------------------------------------------------ limits

    def budgets(
        self, headers: Mapping[str, str], *, posts_to_room: bool
    ) -> dict[str, rate_budget.Scope]:
        """The rate budgets a request with ``headers`` spends, by header family: its
        token's, and the room's when it posts into the room. Named by a hash of the
        host with the token or room, so no secret reaches Redis."""
        host = self.config.base_url.rstrip("/")
        token = headers.get("Authorization", "")
        scopes = {
            TOKEN_FAMILY: rate_budget.Scope(_scope_name("token", host, token), TOKEN_PERIOD_S)
        }
        if posts_to_room:
            room = self.config.room.strip()
            scopes[FLOOD_FAMILY] = rate_budget.Scope(
                _scope_name("room", host, room), FLOOD_PERIOD_S
            )
        return scopes

    def request(
        self, method: str, url: str, *, footprint: Footprint | None = None, **kwargs: Any
    ) -> Sent:
        """Send one request when its token's and room's budgets allow it; otherwise
        raise a transient :class:`TransportError` marked ``held``, nothing sent."""
        self._budgets = self.budgets(
            kwargs.get("headers") or {}, posts_to_room=footprint is not None
        )
        wait = rate_budget.take(list(self._budgets.values()), self._clock())
        if wait > 0:
            raise TransportError(
                f"HipChat rate limit of this room or token reached; next request in {wait:.1f} s",
                permanent=False,
                retry_after_s=wait,
                held=True,
            )
        return super().request(method, url, footprint=footprint, **kwargs)

    def observe(self, result: HttpResult) -> None:
        """Keep the limits the answer's headers announce for the budgets just spent."""
        observed = []
        for family, scope in self._budgets.items():
            try:
                limit = int(result.headers[f"{family}-Limit"])
                remaining = int(result.headers[f"{family}-Remaining"])
                reset = float(result.headers[f"{family}-Reset"])
            except (KeyError, ValueError):
                continue
            observed.append(rate_budget.Observed(scope, limit, remaining, reset))
        rate_budget.observe(observed, self._clock())

    def retry_after(self, result: HttpResult, now: float) -> float | None:
        """Rate-limit headers ride on every HipChat response; only a 429 means they bind."""
        if result.status == 429:
            return retry_after_from_headers(result.headers, now)
        return super().retry_after(result, now)

    # ------------------------------------------------------------- sending

    def notification_payload(self, text: str, *, severity: str = "UNDEFINED") -> dict[str, Any]:
        """The JSON body of a room notification with the endpoint's format, notify and
        from (spec §7.4 item 1)."""
        message_format = self.config.message_format
        if message_format not in ("text", "html"):
            raise TransportError(
                f"unknown HipChat message format {message_format!r}", permanent=True
            )
        if not text.strip():
            raise TransportError("HipChat rejects an empty message; nothing sent", permanent=True)
        cut = cut_html if message_format == "html" else cut_text
        payload: dict[str, Any] = {
            "message": cut(text, NOTIFICATION_LIMIT),
            "message_format": message_format,
            "color": color_for(severity),
        }
        if self.config.notify is not None:
            payload["notify"] = self.config.notify
        if self.config.from_.strip():
            payload["from"] = self.config.from_.strip()[:FROM_LIMIT]
        return payload

    def send_text(
        self, text: str, *, severity: str = "UNDEFINED", target: str = SINGLE_TARGET
    ) -> Sent:
        """``POST /v2/room/{room}/notification`` with the notification token; 204 expected."""
        payload = self.notification_payload(text, severity=severity)
        headers = self._headers("send_notification")
        footprint = self._footprint(NOTIFICATION_ITEM, payload["message"])
        return self.request(
            "POST", self.room_url("notification"), headers=headers, json=payload,
            footprint=footprint,
        )  # fmt: skip

    def send_file(self, file: Attachment, *, target: str = SINGLE_TARGET) -> Sent:
        """``POST /v2/room/{room}/share/file`` as ``multipart/related`` (spec §7.4 item 2).

        A JSON ``metadata`` part carries the caption (omitted when empty), then the
        file part, sent binary with CRLF line endings and a closing delimiter.
        """
        body, multipart_type = build_multipart_related(
            file.name, file.content, file.content_type, file.caption
        )
        headers = {**self._headers("send_message"), "Content-Type": multipart_type}
        # A shared file is a "message" item of the history, its caption the message.
        caption = cut_text(file.caption, CAPTION_LIMIT)
        footprint = self._footprint(MESSAGE_ITEM, caption, file.name)
        return self.request(
            "POST", self.room_url("share/file"), headers=headers, data=body, footprint=footprint
        )

    # ------------------------------------------------------------- history

    def room_history(self) -> list[dict[str, Any]]:
        """The room's newest messages (at most 1000), oldest first.

        Reading history needs scope ``view_messages``: the message token is tried
        first (a user token), then the single token, then the notification token.
        Raises :class:`HistoryUnavailable` when every token is refused (401/403) or
        the answer has no item list; other failures are :class:`TransportError`.
        """
        tokens = (self.config.message_token, self.config.auth_token, self.config.notification_token)
        refused: list[str] = []
        for token in dict.fromkeys(t for t in tokens if t):
            try:
                answer = self.request(
                    "GET",
                    self.room_url("history/latest"),
                    headers=_bearer(token),
                    params={"max-results": str(HISTORY_MAX_RESULTS)},
                )
            except TransportError as exc:
                if exc.status in (401, 403):
                    refused.append(exc.message)
                    continue
                raise
            try:
                items = json.loads(answer.response_text)["items"]
            except (ValueError, KeyError, TypeError):
                items = None
            if not isinstance(items, list):
                raise HistoryUnavailable("HipChat answered the history request without items")
            return [item for item in items if isinstance(item, dict)]
        reason = "; ".join(refused) or "no token is set"
        raise HistoryUnavailable(f"the room's history cannot be read: {reason}")

    def item_footprint(self, item: Mapping[str, Any]) -> Footprint:
        """The footprint of one history item, comparable with a request's."""
        file = item.get("file")
        file_name = str(file.get("name") or "") if isinstance(file, dict) else ""
        kind, text = str(item.get("type") or ""), str(item.get("message") or "")
        return self._footprint(kind, text, file_name)

    def arrivals(self, digest: str, since: datetime) -> list[str]:
        """Ids of history items since ``since`` whose footprint has ``digest``, oldest first.

        When the page of newest messages does not reach back to ``since`` the answer
        would be incomplete: :class:`HistoryUnavailable`.
        """
        items = self.room_history()
        dated = [(item_date(item), item) for item in items]
        if len(items) >= HISTORY_MAX_RESULTS and (dated[0][0] is None or dated[0][0] >= since):
            raise HistoryUnavailable(
                f"more than {HISTORY_MAX_RESULTS} messages reached the room since "
                f"{since:%H:%M:%S}: its recent history does not reach back far enough"
            )
        return [
            str(item.get("id") or "")
            for when, item in dated
            if when is not None and when >= since and self.item_footprint(item).digest() == digest
        ]


def item_date(item: Mapping[str, Any]) -> datetime | None:
    """A history item's ISO 8601 ``date`` (with its offset), or None when unreadable."""
    try:
        when = datetime.fromisoformat(str(item.get("date")).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def _scope_name(kind: str, host: str, value: str) -> str:
    digest = hashlib.sha256(f"{host}\x1f{value}".encode()).hexdigest()[:32]
    return f"hipchat:{kind}:{digest}"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def _quoted(value: str) -> str:
    """A header parameter value safe inside double quotes."""
    cleaned = re.sub(r'[\r\n"\\]', "_", value)
    return f'"{cleaned}"'


def build_multipart_related(
    filename: str, content: bytes, content_type: str, caption: str = ""
) -> tuple[bytes, str]:
    """(body, Content-Type header) of a share-file request."""
    boundary = f"atsd-alerts-{uuid.uuid4().hex}"
    delimiter = f"--{boundary}".encode()
    crlf = b"\r\n"
    chunks: list[bytes] = []
    if caption:
        metadata = json.dumps({"message": cut_text(caption, CAPTION_LIMIT)}, ensure_ascii=False)
        chunks += [
            delimiter,
            b"Content-Type: application/json; charset=UTF-8",
            b'Content-Disposition: attachment; name="metadata"',
            b"",
            metadata.encode("utf-8"),
        ]
    chunks += [
        delimiter,
        f"Content-Type: {content_type}".encode("latin-1"),
        f'Content-Disposition: attachment; name="file"; filename={_quoted(filename)}'.encode(),
        b"",
        content,
        f"--{boundary}--".encode(),
        b"",
    ]
    return crlf.join(chunks), f"multipart/related; boundary={boundary}"
