"""A fake Telegram Bot API on loopback (``https://core.telegram.org/bots/api``).

It holds bots (by token) and chats (by numeric id, public ones also by ``@username``)
and answers ``POST /bot<token>/<method>`` as the Bot API documents:

* every answer is ``{"ok": true, "result": …}`` or ``{"ok": false, "error_code": N,
  "description": "…", "parameters": {…}}``; an unknown token is 401 ``Unauthorized``,
  an unknown method 404 ``Not Found``; method names are case-insensitive;
* parameters come as a query string, a form, JSON or ``multipart/form-data``;
* ``sendMessage``: ``chat_id`` and ``text`` (1 to 4096 UTF-16 units after entity
  parsing), ``parse_mode`` ``Markdown`` (legacy: an unclosed ``*``, ``_``, backquote or
  ``[`` is 400 "can't parse entities … at byte offset N"), ``MarkdownV2`` (not parsed
  here) or ``HTML`` (only the documented tags), ``disable_notification``,
  ``disable_web_page_preview``;
* ``sendPhoto`` (an image file part, at most 10 MB) and ``sendDocument`` (at most
  50 MB), with ``caption`` up to 1024 units;
* a chat the bot is not in is 403 ``Forbidden``; a group upgraded to a supergroup is
  400 with ``parameters.migrate_to_chat_id``;
* flood control: with ``per_chat_limit`` set, more messages to one chat within a
  second are 429 ``Too Many Requests: retry after N`` with ``parameters.retry_after``
  (and no Retry-After header, as Telegram sends); :meth:`TelegramFake.flood` scripts one.

Accepted messages are listed per chat by :meth:`TelegramFake.messages`.
"""

from __future__ import annotations

import html.parser
import itertools
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from devtools.fakes.service import FRONT_END_MAX_BODY, Answer, FakeService, Recorded, Reply

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
PHOTO_MAX_BYTES = 10 * 1024 * 1024
DOCUMENT_MAX_BYTES = 50 * 1024 * 1024
IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")
HTML_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
     "span", "tg-spoiler", "blockquote", "tg-emoji"}
)  # fmt: skip
METHOD_PATH = re.compile(r"/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)")


class _Refused(Exception):
    def __init__(self, code: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


def error_body(code: int, description: str, **parameters: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def legacy_markdown_text(text: str) -> str:
    """The text Telegram shows for ``text`` in legacy Markdown, or _Refused as it answers.

    Markers ``*`` ``_`` backquote and ``[`` open an entity that runs to the same marker
    (``]`` for ``[``, a triple backquote for a pre block); a backslash escapes a marker;
    a marker without its end is an error naming its byte offset.
    """
    shown: list[str] = []
    i, size = 0, len(text)
    while i < size:
        c = text[i]
        if c == "\\" and i + 1 < size and text[i + 1] in "_*`[":
            shown.append(text[i + 1])
            i += 2
            continue
        if c not in "_*`[":
            shown.append(c)
            i += 1
            continue
        begin = i
        pre = text.startswith("```", i)
        closing = "```" if pre else ("]" if c == "[" else c)
        end = text.find(closing, i + len(closing))
        if end < 0:
            offset = len(text[:begin].encode("utf-8"))
            raise _Refused(
                400,
                "Bad Request: can't parse entities: Can't find end of the entity "
                f"starting at byte offset {offset}",
            )
        shown.append(text[i + len(closing) : end])
        i = end + len(closing)
        if c == "[" and text.startswith("(", i):
            close = text.find(")", i)
            i = size if close < 0 else close + 1
    return "".join(shown)


class _HtmlCheck(html.parser.HTMLParser):
    """Telegram's HTML mode: only its tags, every one closed, text kept."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.shown: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in HTML_TAGS:
            raise _Refused(
                400, f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}"'
            )
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            raise _Refused(400, f'Bad Request: can\'t parse entities: Unexpected end tag "{tag}"')
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.shown.append(data)


def html_text(text: str) -> str:
    check = _HtmlCheck()
    check.feed(text)
    check.close()
    if check.open:
        raise _Refused(400, "Bad Request: can't parse entities: Can't find end tag")
    return "".join(check.shown)


def shown_text(text: str, parse_mode: str) -> str:
    """What a chat shows of ``text`` in ``parse_mode`` (entities parsed)."""
    if parse_mode == "":
        return text
    if parse_mode.lower() == "markdown":
        return legacy_markdown_text(text)
    if parse_mode.lower() == "html":
        return html_text(text)
    if parse_mode.lower() == "markdownv2":
        return text
    raise _Refused(400, "Bad Request: unsupported parse_mode")


def _is_true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


@dataclass
class Chat:
    """A chat: its id, type and @username; ``member``: the bot may post there;
    ``migrated_to``: the supergroup a group became."""

    id: int
    type: str = "group"
    username: str = ""
    member: bool = True
    migrated_to: int | None = None
    sent_at: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Posted:
    """A message the fake accepted: its id, chat, method and what the chat shows."""

    message_id: int
    chat_id: int
    method: str
    text: str
    parse_mode: str
    silent: bool
    no_preview: bool
    file_name: str = ""
    file: bytes = b""
    request: Recorded | None = None


class TelegramFake(FakeService):
    """The fake Bot API. ``per_chat_limit``: messages per chat per second before 429."""

    name = "telegram"
    max_body = FRONT_END_MAX_BODY

    def __init__(self, port: int = 0, *, per_chat_limit: int | None = None) -> None:
        super().__init__(port=port)
        self.per_chat_limit = per_chat_limit
        self._bots: dict[str, str] = {}
        self._chats: dict[int, Chat] = {}
        self._posted: list[Posted] = []
        self._ids = itertools.count(1)
        self._state = threading.Lock()

    # --------------------------------------------------------------- setup

    def add_bot(self, token: str, username: str = "atsd_alerts_bot") -> str:
        self._bots[token] = username
        return token

    def add_chat(self, chat_id: int, *, username: str = "", **options: Any) -> Chat:
        chat = Chat(chat_id, username=username.lstrip("@"), **options)
        self._chats[chat_id] = chat
        return chat

    @staticmethod
    def flood(retry_after: int = 1) -> Reply:
        """A flood-control answer as Telegram gives it."""
        body = error_body(
            429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
        )
        return Reply.status(429, body)

    def messages(self, chat_id: int | None = None) -> list[Posted]:
        """Accepted messages in the order they arrived (one chat's when given)."""
        with self._state:
            return [p for p in self._posted if chat_id is None or p.chat_id == chat_id]

    # ------------------------------------------------------------- serving

    def handle(self, record: Recorded) -> Answer:
        if record.method not in ("GET", "POST"):
            return Answer(405, error_body(405, "Method Not Allowed"))
        match = METHOD_PATH.fullmatch(record.path)
        if match is None:
            return Answer(404, error_body(404, "Not Found"))
        if match["token"] not in self._bots:
            return Answer(401, error_body(401, "Unauthorized"))
        method = match["method"].lower()
        handler = {
            "getme": self._get_me,
            "sendmessage": self._send_message,
            "sendphoto": self._send_photo,
            "senddocument": self._send_document,
        }.get(method)
        if handler is None:
            return Answer(404, error_body(404, "Not Found"))
        try:
            result = handler(record, match["token"])
        except _Refused as refused:
            body = error_body(refused.code, refused.description, **refused.parameters)
            return Answer(refused.code, body)
        return Answer(200, {"ok": True, "result": result})

    def _get_me(self, record: Recorded, token: str) -> dict[str, Any]:
        return {"id": int(token.split(":")[0]) if token[0].isdigit() else 1, "is_bot": True,
                "username": self._bots[token]}  # fmt: skip

    def _chat(self, record: Recorded) -> Chat:
        raw = str(record.fields.get("chat_id", "")).strip()
        if not raw:
            raise _Refused(400, "Bad Request: chat_id is empty")
        if raw.startswith("@"):
            chat = next((c for c in self._chats.values() if c.username == raw[1:]), None)
        else:
            try:
                chat = self._chats.get(int(raw))
            except ValueError:
                chat = None
        if chat is None:
            raise _Refused(400, "Bad Request: chat not found")
        if chat.migrated_to is not None:
            raise _Refused(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=chat.migrated_to,
            )
        if not chat.member:
            raise _Refused(403, "Forbidden: bot is not a member of the group chat")
        return chat

    def _take_slot(self, chat: Chat) -> None:
        if self.per_chat_limit is None:
            return
        now = time.monotonic()
        with self._state:
            chat.sent_at[:] = [t for t in chat.sent_at if now - t < 1.0]
            if len(chat.sent_at) >= self.per_chat_limit:
                wait = max(1, int(1.0 - (now - chat.sent_at[0]) + 0.999))
                raise _Refused(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
            chat.sent_at.append(now)

    def _post(
        self, record: Recorded, chat: Chat, method: str, text: str, **extra: Any
    ) -> dict[str, Any]:
        fields = record.fields
        posted = Posted(
            message_id=next(self._ids),
            chat_id=chat.id,
            method=method,
            text=text,
            parse_mode=str(fields.get("parse_mode", "")),
            silent=_is_true(fields.get("disable_notification")),
            no_preview=_is_true(fields.get("disable_web_page_preview")),
            request=record,
            **extra,
        )
        with self._state:
            self._posted.append(posted)
        result: dict[str, Any] = {
            "message_id": posted.message_id,
            "date": int(record.received_at),
            "chat": {"id": chat.id, "type": chat.type},
        }
        if chat.username:
            result["chat"]["username"] = chat.username
        return result

    def _send_message(self, record: Recorded, token: str) -> dict[str, Any]:
        chat = self._chat(record)
        text = str(record.fields.get("text", ""))
        shown = shown_text(text, str(record.fields.get("parse_mode", "")))
        if not shown.strip():
            raise _Refused(400, "Bad Request: message text is empty")
        if _units(shown) > TEXT_LIMIT:
            raise _Refused(400, "Bad Request: message is too long")
        self._take_slot(chat)
        result = self._post(record, chat, "sendMessage", shown)
        result["text"] = shown
        return result

    def _send_file(self, record: Recorded, part: str, limit: int) -> dict[str, Any]:
        chat = self._chat(record)
        upload = record.file(part)
        if upload is None:
            raise _Refused(400, f"Bad Request: there is no {part} in the request")
        name, content = upload.filename, upload.data
        if len(content) > limit:
            raise _Refused(413, "Request Entity Too Large")
        caption = shown_text(
            str(record.fields.get("caption", "")), str(record.fields.get("parse_mode", ""))
        )
        if _units(caption) > CAPTION_LIMIT:
            raise _Refused(400, "Bad Request: message caption is too long")
        self._take_slot(chat)
        method = "sendPhoto" if part == "photo" else "sendDocument"
        result = self._post(record, chat, method, caption, file_name=name, file=content)
        if caption:
            result["caption"] = caption
        return result

    def _send_photo(self, record: Recorded, token: str) -> dict[str, Any]:
        photo = record.file("photo")
        if photo is not None and not photo.data.startswith(IMAGE_SIGNATURES):
            raise _Refused(400, "Bad Request: IMAGE_PROCESS_FAILED")
        result = self._send_file(record, "photo", PHOTO_MAX_BYTES)
        result["photo"] = [{"file_id": f"photo-{result['message_id']}", "width": 1, "height": 1}]
        return result

    def _send_document(self, record: Recorded, token: str) -> dict[str, Any]:
        result = self._send_file(record, "document", DOCUMENT_MAX_BYTES)
        document = record.file("document")
        name = document.filename if document is not None else ""
        result["document"] = {"file_id": f"doc-{result['message_id']}", "file_name": name}
        return result


@contextmanager
def running_telegram(**options: Any) -> Iterator[TelegramFake]:
    """``with running_telegram() as fake: ...`` — started, stopped afterwards."""
    with TelegramFake(**options) as fake:
        yield fake
