"""A fake Slack Web API on loopback, for tests and dry runs.

It enforces the documented contract of the methods the Slack transport uses
(docs.slack.dev, Web API reference), so the transport talks to it as to
``https://slack.com/api`` and never knows:

* authentication: ``Authorization: Bearer <token>`` (or a ``token`` argument);
  none → ``not_authed``, unknown → ``invalid_auth``, a method outside the token's
  scopes → ``missing_scope`` with ``needed`` and ``provided``;
* errors as Slack gives them: HTTP 200 with ``{"ok": false, "error": code}``; an
  unknown method 404 ``unknown_method``; a rate limit HTTP 429 with ``Retry-After``
  seconds (built in with :meth:`SlackFake.limit_posts`, or scripted);
* arguments from a query string, a form body or a JSON body (JSON without
  ``charset`` is accepted with the ``missing_charset`` warning);
* ``chat.postMessage`` (scope ``chat:write``): ``channel`` by id or name, the app a
  member (``not_in_channel``), not archived (``is_archived``), one of text,
  attachments or blocks (``no_text``), text at most 40 000 characters
  (``msg_too_long``), at most 100 attachments (``too_many_attachments``); answers
  ``channel`` (the id) and ``ts``;
* the external upload (scope ``files:write``): ``files.getUploadURLExternal``
  (``filename``, ``length`` > 0) → an ``upload_url`` on this server taking exactly
  ``length`` bytes (raw or multipart) → ``files.completeUploadExternal`` (``files``
  with uploaded ids; ``channel_id`` an id, not a name), which posts the file to the
  channel with ``initial_comment`` as its text;
* ``conversations.history`` (``channels:history``; ``oldest`` exclusive, ``limit``
  up to 999, newest first, cursor pages) and ``conversations.list``
  (``channels:read``; ``limit`` up to 1000, cursor pages).

Typical use::

    with SlackFake() as fake:                        # or the tests' ``slack_fake`` fixture
        alerts = fake.add_channel("alerts")
        fake.add_token("xoxb-1")
        fake.script(slack_rate_limited(2), times=3)  # next 3 requests → 429
        ...
        [message] = fake.messages("alerts")
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from devtools.fakes.service import Answer, FakeService, Recorded, Refusal, Reply

TEXT_LIMIT = 40_000
ATTACHMENTS_LIMIT = 100
HISTORY_LIMIT = 999
LIST_LIMIT = 1000
DEFAULT_SCOPES = (
    "chat:write",
    "chat:write.customize",
    "files:write",
    "channels:read",
    "groups:read",
    "channels:history",
    "groups:history",
)
#: The scope each method needs (any one of them).
METHOD_SCOPES: Mapping[str, tuple[str, ...]] = {
    "chat.postMessage": ("chat:write",),
    "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",),
    "conversations.history": ("channels:history", "groups:history"),
    "conversations.list": ("channels:read", "groups:read"),
}


@dataclass(frozen=True)
class Channel:
    """A conversation the fake knows; ``member``: the app was invited to it."""

    id: str
    name: str
    private: bool = False
    member: bool = True
    archived: bool = False


@dataclass
class _Upload:
    file_id: str
    filename: str
    length: int
    data: bytes | None = None


@dataclass
class _Window:
    """Posts to one channel within the current window of :meth:`SlackFake.limit_posts`."""

    started: float
    count: int = 0


def slack_error(code: str, *, path_suffix: str = "") -> Reply:
    """A scripted ``200 {"ok": false, "error": code}``."""
    return Reply(Answer(200, {"ok": False, "error": code}, accepted=False), path_suffix)


def slack_rate_limited(retry_after_s: int, *, path_suffix: str = "") -> Reply:
    """A scripted 429 with ``Retry-After`` and Slack's ``ratelimited`` body."""
    body = {"ok": False, "error": "ratelimited"}
    return Reply.rate_limited(retry_after_s, body, path_suffix=path_suffix)


def _fail(code: str, status: int = 200, **extra: Any) -> Refusal:
    return Refusal(Answer(status, {"ok": False, "error": code, **extra}, accepted=False))


class SlackFake(FakeService):
    """The Slack Web API at ``{url}/api/{method}`` (see the module docstring)."""

    name = "slack"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._tokens: dict[str, frozenset[str]] = {}
        self._channels: dict[str, Channel] = {}
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._uploads: dict[str, _Upload] = {}
        self._ids = itertools.count(1)
        self._last_ts = 0.0
        self._post_limit: tuple[int, float] | None = None
        self._windows: dict[str, _Window] = {}

    @property
    def api_url(self) -> str:
        """What an endpoint's base URL is set to: the fake's ``https://slack.com/api``."""
        return f"{self.url}/api"

    # ------------------------------------------------------------- set-up

    def add_token(self, value: str, scopes: tuple[str, ...] = DEFAULT_SCOPES) -> str:
        with self._lock:
            self._tokens[value] = frozenset(scopes)
        return value

    def add_channel(
        self, name: str, *, private: bool = False, member: bool = True, archived: bool = False
    ) -> Channel:
        prefix = "G" if private else "C"
        channel = Channel(f"{prefix}{next(self._ids):08d}", name, private, member, archived)
        with self._lock:
            self._channels[channel.id] = channel
            self._messages[channel.id] = []
        return channel

    def limit_posts(self, posts: int, per_s: float) -> None:
        """Answer 429 once a channel got ``posts`` posts within ``per_s`` seconds
        (Slack: about one message per second per channel, short bursts allowed)."""
        self._post_limit = (posts, per_s)

    # ---------------------------------------------------------- assertions

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """The messages of ``channel`` (by name or id), oldest first."""
        with self._lock:
            found = self._find_channel(channel)
            assert found is not None, f"no channel {channel!r}"
            return [dict(m) for m in self._messages[found.id]]

    def channel(self, name: str) -> Channel:
        """The channel called ``name`` (or with that id)."""
        with self._lock:
            found = self._find_channel(name)
        assert found is not None, f"no channel {name!r}"
        return found

    def uploaded(self, file_id: str) -> bytes | None:
        """The bytes uploaded for ``file_id`` (None: nothing uploaded)."""
        with self._lock:
            upload = next((u for u in self._uploads.values() if u.file_id == file_id), None)
            return None if upload is None else upload.data

    # ------------------------------------------------------------- serving

    def handle(self, request: Recorded) -> Answer:
        if request.path.startswith("/upload/v1/"):
            return self._receive_upload(request)
        match = re.fullmatch(r"/api/([A-Za-z.]+)", request.path)
        handler = getattr(self, "_" + match.group(1).replace(".", "_"), None) if match else None
        if match is None or match.group(1) not in METHOD_SCOPES or handler is None:
            raise _fail("unknown_method", 404)
        method = match.group(1)
        arguments, warning = self._arguments(request)
        self._authorize(request, arguments, method)
        with self._lock:
            body = handler(arguments)
        body = {"ok": True, **body}
        if warning:
            body["warning"] = warning
        return Answer(200, body)

    def _arguments(self, request: Recorded) -> tuple[dict[str, Any], str]:
        arguments: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            parsed = request.json
            if parsed is None:
                raise _fail("invalid_json")
            if not isinstance(parsed, dict):
                raise _fail("json_not_object")
            arguments.update(parsed)
            charset = "charset" in request.headers.get("content-type", "").lower()
            return arguments, "" if charset else "missing_charset"
        arguments.update(request.form)
        return arguments, ""

    def _authorize(self, request: Recorded, arguments: Mapping[str, Any], method: str) -> None:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        token = token or str(arguments.get("token") or "")
        if not token:
            raise _fail("not_authed")
        with self._lock:
            scopes = self._tokens.get(token)
        if scopes is None:
            raise _fail("invalid_auth")
        needed = METHOD_SCOPES[method]
        if not scopes & set(needed):
            raise _fail("missing_scope", needed=",".join(needed), provided=",".join(sorted(scopes)))

    # ------------------------------------------------------------- methods
    # Each runs under the lock with the request's arguments and returns the answer's fields.

    def _chat_postMessage(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        channel = self._member_channel(str(arguments.get("channel") or ""))
        text = arguments.get("text")
        attachments = _json_argument(arguments.get("attachments"))
        blocks = _json_argument(arguments.get("blocks"))
        if not text and not attachments and not blocks:
            raise _fail("no_text")
        if not isinstance(text, str | None):
            raise _fail("invalid_arguments")
        if text and len(text) > TEXT_LIMIT:
            raise _fail("msg_too_long")
        if attachments is not None and not isinstance(attachments, list):
            raise _fail("invalid_attachments")
        if attachments and len(attachments) > ATTACHMENTS_LIMIT:
            raise _fail("too_many_attachments")
        self._count_post(channel)
        message: dict[str, Any] = {"type": "message", "text": text or "", "ts": self._next_ts()}
        for key in ("username", "parse", "link_names"):
            if arguments.get(key) not in (None, ""):
                message[key] = arguments[key]
        if attachments:
            message["attachments"] = attachments
        self._messages[channel.id].append(message)
        return {"channel": channel.id, "ts": message["ts"], "message": message}

    def _files_getUploadURLExternal(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        filename = str(arguments.get("filename") or "")
        try:
            length = int(arguments.get("length") or 0)
        except (TypeError, ValueError):
            raise _fail("invalid_arguments") from None
        if not filename or length <= 0:
            raise _fail("missing_argument" if filename else "invalid_arguments")
        file_id = f"F{next(self._ids):08d}"
        key = uuid.uuid4().hex
        self._uploads[key] = _Upload(file_id, filename, length)
        return {"upload_url": f"{self.url}/upload/v1/{key}", "file_id": file_id}

    def _receive_upload(self, request: Recorded) -> Answer:
        key = request.path.rsplit("/", 1)[1]
        data = request.files[0].data if request.files else request.body
        with self._lock:
            upload = self._uploads.get(key)
            if request.method != "POST" or upload is None:
                return Answer(404, "Not Found", accepted=False)
            if len(data) != upload.length:
                return Answer(
                    400, f"expected {upload.length} bytes, got {len(data)}", accepted=False
                )
            upload.data = data
        return Answer(200, f"OK - {len(data)}")

    def _files_completeUploadExternal(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        files = _json_argument(arguments.get("files"))
        if not isinstance(files, list) or not files:
            raise _fail("invalid_arguments")
        by_id = {u.file_id: u for u in self._uploads.values()}
        shared = []
        for item in files:
            upload = by_id.get(str(item.get("id"))) if isinstance(item, dict) else None
            if upload is None or upload.data is None:
                raise _fail("file_not_found")
            title = str(item.get("title") or upload.filename)
            shared.append({"id": upload.file_id, "name": upload.filename, "title": title})
        channel_id = str(arguments.get("channel_id") or "")
        if channel_id:
            if channel_id not in self._channels:
                raise _fail("channel_not_found")
            channel = self._member_channel(channel_id)
            self._count_post(channel)
            text = str(arguments.get("initial_comment") or "")
            message = {"type": "message", "text": text, "files": shared, "ts": self._next_ts()}
            self._messages[channel.id].append(message)
        return {"files": shared}

    def _conversations_history(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        channel = self._channels.get(str(arguments.get("channel") or ""))
        if channel is None:
            raise _fail("channel_not_found")
        if channel.private and not channel.member:
            raise _fail("channel_not_found")
        oldest = float(arguments.get("oldest") or 0)
        limit = min(int(arguments.get("limit") or 100), HISTORY_LIMIT)
        newest_first = [m for m in reversed(self._messages[channel.id]) if float(m["ts"]) > oldest]
        return _page(newest_first, "messages", arguments, limit)

    def _conversations_list(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        types = str(arguments.get("types") or "public_channel").split(",")
        limit = min(int(arguments.get("limit") or 100), LIST_LIMIT)
        visible = [
            {"id": c.id, "name": c.name, "is_private": c.private, "is_archived": c.archived,
             "is_member": c.member}
            for c in self._channels.values()
            if ("private_channel" if c.private else "public_channel") in types
            and (c.member or not c.private)
        ]  # fmt: skip
        return _page(visible, "channels", arguments, limit)

    # ------------------------------------------------------------- helpers

    def _find_channel(self, channel: str) -> Channel | None:
        if channel in self._channels:
            return self._channels[channel]
        name = channel.lstrip("#")
        return next((c for c in self._channels.values() if c.name == name), None)

    def _member_channel(self, channel: str) -> Channel:
        found = self._find_channel(channel) if channel else None
        if found is None or (found.private and not found.member):
            raise _fail("channel_not_found")
        if found.archived:
            raise _fail("is_archived")
        if not found.member:
            raise _fail("not_in_channel")
        return found

    def _count_post(self, channel: Channel) -> None:
        if self._post_limit is None:
            return
        posts, per_s = self._post_limit
        now = self.clock()
        window = self._windows.get(channel.id)
        if window is None or now - window.started >= per_s:
            window = self._windows[channel.id] = _Window(now)
        if window.count >= posts:
            wait = max(1, int(window.started + per_s - now + 0.999))
            raise Refusal(
                Answer(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(wait)},
                       accepted=False)
            )  # fmt: skip
        window.count += 1

    def _next_ts(self) -> str:
        ts = max(self.clock(), self._last_ts + 0.000001)
        self._last_ts = ts
        return f"{ts:.6f}"


def _json_argument(value: Any) -> Any:
    """A structured argument: as JSON gave it, or parsed from a form's string."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise _fail("invalid_arguments") from None
    return value


def _page(items: list[Any], key: str, arguments: Mapping[str, Any], limit: int) -> dict[str, Any]:
    """One cursor page of ``items`` (the cursor is the offset, opaque to clients)."""
    start = int(arguments.get("cursor") or 0)
    end = start + max(1, limit)
    page = {key: items[start:end], "has_more": end < len(items)}
    page["response_metadata"] = {"next_cursor": str(end) if end < len(items) else ""}
    return page
