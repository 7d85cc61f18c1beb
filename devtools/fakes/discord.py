"""A fake Discord webhook service on loopback, for tests and dry runs.

It enforces the documented contract of *Execute Webhook* (Discord developer
documentation), so the transport talks to it as to ``https://discord.com`` and never
knows:

* ``POST /api/webhooks/{id}/{token}`` (also ``/api/v10/…``): an unknown id is 404
  ``Unknown Webhook`` (code 10015), a wrong token 401 ``Invalid Webhook Token`` (50027);
* a JSON body, or ``multipart/form-data`` with ``payload_json`` and ``files[n]``;
* one of content, embeds or files (400 ``Cannot send an empty message``, 50006);
  ``content`` at most 2 000 characters, ``username`` 1 to 80 without "clyde" or
  "discord", at most 10 embeds, a title at most 256 and a description at most 4 096
  characters, 6 000 characters across embeds (400 ``Invalid Form Body``, 50035, with
  the field in ``errors``); files at most 10 MiB each (413, 40005);
* ``wait=true`` answers 200 with the created message (``id``, ``content``,
  ``embeds``, ``attachments`` with ``filename`` and ``url``), else 204;
* a rate limit: 429 with ``{"message", "retry_after" (seconds, float), "global"}``,
  ``Retry-After`` and ``X-RateLimit-*`` headers (built in with
  :meth:`DiscordFake.limit_posts`, or scripted with :func:`discord_rate_limited`).

Typical use::

    with DiscordFake() as fake:                       # or the tests' ``discord_fake`` fixture
        hook = fake.add_webhook("alerts")
        fake.script(discord_rate_limited(1.5), times=2)
        ...  # client posts to f"{fake.url}/api/webhooks/{hook.id}/{hook.token}?wait=true"
        [message] = fake.messages(hook)
"""

from __future__ import annotations

import itertools
import json
import math
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from devtools.fakes.service import Answer, FakeService, Recorded, Refusal, Reply

CONTENT_LIMIT = 2_000
USERNAME_LIMIT = 80
EMBEDS_LIMIT = 10
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4_096
EMBED_TOTAL_LIMIT = 6_000
FILE_LIMIT = 10 * 1024 * 1024
_PATH = re.compile(r"/api(?:/v\d+)?/webhooks/(\d+)/([^/]+)")


@dataclass(frozen=True)
class Webhook:
    """A channel webhook: its id, token and channel."""

    id: str
    token: str
    channel: str

    def url(self, base: str) -> str:
        return f"{base}/api/webhooks/{self.id}/{self.token}"


@dataclass
class _Window:
    started: float
    count: int = 0


def _rate_limit_body(retry_after_s: float, is_global: bool = False) -> dict[str, Any]:
    return {"message": "You are being rate limited.", "retry_after": retry_after_s,
            "global": is_global}  # fmt: skip


def discord_rate_limited(retry_after_s: float, *, is_global: bool = False) -> Reply:
    """A scripted 429 as Discord sends it: the body's float and the header's whole seconds."""
    return Reply.rate_limited(math.ceil(retry_after_s), _rate_limit_body(retry_after_s, is_global))


def _invalid(field_name: str, message: str, code: str = "BASE_TYPE_MAX_LENGTH") -> Refusal:
    errors = {field_name: {"_errors": [{"code": code, "message": message}]}}
    body = {"message": "Invalid Form Body", "code": 50035, "errors": errors}
    return Refusal(Answer(400, body, accepted=False))


def _error(status: int, message: str, code: int) -> Refusal:
    return Refusal(Answer(status, {"message": message, "code": code}, accepted=False))


class DiscordFake(FakeService):
    """Discord's Execute Webhook at ``{url}/api/webhooks/{id}/{token}``."""

    name = "discord"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._webhooks: dict[str, Webhook] = {}
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._ids = itertools.count(1_100_000_000_000_000_000)
        self._limit: tuple[int, float] | None = None
        self._windows: dict[str, _Window] = {}

    def add_webhook(self, channel: str = "alerts") -> Webhook:
        webhook = Webhook(str(next(self._ids)), secrets.token_urlsafe(48), channel)
        with self._lock:
            self._webhooks[webhook.id] = webhook
            self._messages[webhook.id] = []
        return webhook

    def limit_posts(self, posts: int, per_s: float) -> None:
        """Answer 429 once a webhook got ``posts`` messages within ``per_s`` seconds."""
        self._limit = (posts, per_s)

    def messages(self, webhook: Webhook) -> list[dict[str, Any]]:
        """What the webhook posted, oldest first (with ``files``: name → bytes)."""
        with self._lock:
            return [dict(m) for m in self._messages[webhook.id]]

    # ------------------------------------------------------------- serving

    def handle(self, request: Recorded) -> Answer:
        match = _PATH.fullmatch(request.path.rstrip("/"))
        if match is None:
            raise _error(404, "404: Not Found", 0)
        with self._lock:
            webhook = self._webhooks.get(match.group(1))
        if webhook is None:
            raise _error(404, "Unknown Webhook", 10015)
        if not secrets.compare_digest(match.group(2), webhook.token):
            raise _error(401, "Invalid Webhook Token", 50027)
        if request.method != "POST":
            raise _error(405, "405: Method Not Allowed", 0)
        payload, files = self._payload(request)
        self._validate(payload, files)
        with self._lock:
            headers = self._count(webhook)
            message = self._post(webhook, payload, files)
        if request.query.get("wait", "").lower() != "true":
            return Answer(204, None, headers)
        public = {k: v for k, v in message.items() if k != "files"}
        return Answer(200, public, headers)

    def _payload(self, request: Recorded) -> tuple[dict[str, Any], dict[str, bytes]]:
        if request.content_type == "multipart/form-data":
            form = request.form
            payload = _json_or_refuse(form.get("payload_json", "{}"))
            files = {f.filename: f.data for f in request.files if f.name.startswith("files[")}
            return payload, files
        if request.content_type == "application/json":
            return _json_or_refuse(request.body.decode("utf-8", "replace")), {}
        if request.content_type == "application/x-www-form-urlencoded":
            return dict(request.form), {}
        raise _error(400, "Cannot send an empty message", 50006)

    def _validate(self, payload: dict[str, Any], files: dict[str, bytes]) -> None:
        content = payload.get("content") or ""
        embeds = payload.get("embeds") or []
        if not content and not embeds and not files:
            raise _error(400, "Cannot send an empty message", 50006)
        if len(content) > CONTENT_LIMIT:
            raise _invalid("content", f"Must be {CONTENT_LIMIT} or fewer in length.")
        username = payload.get("username")
        if username is not None:
            if not 1 <= len(username) <= USERNAME_LIMIT:
                raise _invalid("username", f"Must be between 1 and {USERNAME_LIMIT} in length.")
            if any(word in username.lower() for word in ("clyde", "discord")):
                raise _invalid("username", "Username cannot contain that word.", "USERNAME_INVALID")
        if not isinstance(embeds, list) or len(embeds) > EMBEDS_LIMIT:
            raise _invalid("embeds", f"Must be {EMBEDS_LIMIT} or fewer in length.")
        total = 0
        for i, embed in enumerate(embeds):
            title, description = str(embed.get("title") or ""), str(embed.get("description") or "")
            if len(title) > TITLE_LIMIT:
                raise _invalid(f"embeds.{i}.title", f"Must be {TITLE_LIMIT} or fewer in length.")
            if len(description) > DESCRIPTION_LIMIT:
                message = f"Must be {DESCRIPTION_LIMIT} or fewer in length."
                raise _invalid(f"embeds.{i}.description", message)
            total += len(title) + len(description)
        if total > EMBED_TOTAL_LIMIT:
            raise _invalid("embeds", "Embed size exceeds maximum size of 6000")
        if any(len(data) > FILE_LIMIT for data in files.values()):
            raise _error(413, "Request entity too large", 40005)

    def _count(self, webhook: Webhook) -> dict[str, str]:
        """Count a post against the webhook's limit; its X-RateLimit headers, or a 429."""
        if self._limit is None:
            return {}
        posts, per_s = self._limit
        now = self.clock()
        window = self._windows.get(webhook.id)
        if window is None or now - window.started >= per_s:
            window = self._windows[webhook.id] = _Window(now)
        reset_after = max(0.0, window.started + per_s - now)
        headers = {
            "X-RateLimit-Limit": str(posts),
            "X-RateLimit-Remaining": str(max(0, posts - window.count - 1)),
            "X-RateLimit-Reset": f"{window.started + per_s:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": f"webhook-{webhook.id}",
        }
        if window.count >= posts:
            headers["Retry-After"] = str(math.ceil(reset_after))
            headers["X-RateLimit-Remaining"] = "0"
            headers["X-RateLimit-Scope"] = "user"
            raise Refusal(Answer(429, _rate_limit_body(round(reset_after, 3)), headers, False))
        window.count += 1
        return headers

    def _post(
        self, webhook: Webhook, payload: dict[str, Any], files: dict[str, bytes]
    ) -> dict[str, Any]:
        message_id = str(next(self._ids))
        attachments = [
            {"id": str(next(self._ids)), "filename": name, "size": len(data),
             "url": f"{self.url}/attachments/{webhook.id}/{message_id}/{name}"}
            for name, data in files.items()
        ]  # fmt: skip
        message = {
            "id": message_id,
            "type": 0,
            "channel_id": webhook.channel,
            "webhook_id": webhook.id,
            "author": {"username": payload.get("username") or "Captain Hook", "bot": True},
            "content": payload.get("content") or "",
            "embeds": payload.get("embeds") or [],
            "attachments": attachments,
            "timestamp": datetime.fromtimestamp(self.clock(), UTC).isoformat(),
            "files": dict(files),
        }
        self._messages[webhook.id].append(message)
        return message


def _json_or_refuse(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise _error(400, "400: Bad Request", 50109) from None
    if not isinstance(value, dict):
        raise _error(400, "400: Bad Request", 50109)
    return value
