"""Telegram Bot API (``https://core.telegram.org/bots/api``).

Every method is ``POST {base}/bot<token>/<method>``; answers are JSON objects with
``ok``, then ``result`` (the sent Message, whose ``message_id`` the log keeps) or
``error_code``, ``description`` and optional ``parameters``: ``retry_after`` (seconds,
flood control, with status 429) and ``migrate_to_chat_id`` (a group became a
supergroup and has a new id).

Texts go with ``sendMessage`` (1 to 4096 characters after entity parsing), charts
with ``sendPhoto`` and details tables with ``sendDocument`` (captions up to 1024
characters). A longer text is cut visibly (``...``, HTML kept valid) to the limit,
counted in UTF-16 code units as Telegram counts. Parse mode ``Markdown`` (the legacy one
ATSD used) makes a message with an unclosed ``*``, ``_``, backquote or ``[`` fail with
400 "can't parse entities". Placeholder values arrive escaped (a backslash before each
marker, ``notifications.rendering.markdown_escape``); a text that still would not parse
(the template's own unclosed marker, a cut inside an entity) is sent without a parse
mode: shown as typed, never lost.

A bot cannot read a chat's history (``getUpdates`` lists what users send to the bot,
not what it posted), so :meth:`TelegramTransport.arrivals` is unavailable: a request
whose answer was lost is sent again (at least once).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from urllib3 import encode_multipart_formdata

from notifications.channels.base import (
    SINGLE_TARGET,
    Attachment,
    Footprint,
    HttpTransport,
    Sent,
    TransportError,
)
from notifications.channels.http import HttpClient, HttpResult, HttpSettings
from notifications.rendering.truncate import cut_html, cut_text

DEFAULT_BASE_URL = "https://api.telegram.org"
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
#: parse_mode values offered, and the rendering format (link style) of each.
PARSE_MODES: Mapping[str, str] = {"": "text", "Markdown": "markdown", "HTML": "html"}
TRUE = frozenset({"true", "yes", "on", "1"})
MESSAGE_ITEM, PHOTO_ITEM, DOCUMENT_ITEM = "message", "photo", "document"

# Legacy Markdown entities: an escaped marker, a pre block, code, bold, italic, a link
# text; a marker left over is an entity without its end.
_MARKDOWN_ENTITY = re.compile(
    r"\\[_*`\[]|```.*?```|`[^`]*`|\*[^*]*\*|_[^_]*_|\[[^\]]*\]|[_*`\[]", re.DOTALL
)


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's limits."""
    return len(text.encode("utf-16-le")) // 2


def fit(text: str, limit: int, cut: Callable[[str, int], str] = cut_text) -> str:
    """``text`` cut visibly by ``cut`` (``cut_text`` or ``cut_html``) until it fits
    ``limit`` UTF-16 units (characters outside the BMP count twice)."""
    budget, fitted = limit, cut(text, limit)
    while (excess := utf16_length(fitted) - limit) > 0:
        budget -= (excess + 1) // 2  # each character over counts as one or two units
        fitted = cut(text, budget)
    return fitted


def markdown_parses(text: str) -> bool:
    """Whether Telegram's legacy Markdown parser accepts ``text`` (every entity closed)."""
    return all(len(m.group()) > 1 for m in _MARKDOWN_ENTITY.finditer(text))


def _flag(value: str) -> bool:
    return value.strip().lower() in TRUE


@dataclass(frozen=True)
class TelegramConfig:
    """One Telegram endpoint with its parameters resolved. ``bot_token`` is the token
    @BotFather gave (kept under ATSD's key ``bot_id``)."""

    chat_id: str
    bot_token: str = field(default="", repr=False)
    base_url: str = DEFAULT_BASE_URL
    parse_mode: str = "Markdown"
    disable_notification: bool = False
    disable_web_page_preview: bool = False
    http: HttpSettings = field(default_factory=HttpSettings)

    @classmethod
    def from_parameters(
        cls, parameters: Mapping[str, str], *, base_url: str = "", http: HttpSettings | None = None
    ) -> TelegramConfig:
        return cls(
            chat_id=parameters.get("chat_id", "").strip(),
            bot_token=parameters.get("bot_id", "").strip(),
            base_url=base_url or DEFAULT_BASE_URL,
            parse_mode=parameters.get("parse_mode", "Markdown").strip(),
            disable_notification=_flag(parameters.get("disable_notification", "")),
            disable_web_page_preview=_flag(parameters.get("disable_web_page_preview", "")),
            http=http or HttpSettings(),
        )


class TelegramTransport(HttpTransport):
    """Sends to one Telegram chat (a user, a group, a channel) as a bot."""

    label = "Telegram"
    text_limit = TEXT_LIMIT
    text_parameter = "text"
    rendered_parameters = ("chat_id",)

    def __init__(
        self,
        config: TelegramConfig,
        *,
        client: HttpClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not config.chat_id:
            raise TransportError("Telegram Chat ID is not set", permanent=True)
        if not config.bot_token:
            raise TransportError("Telegram Bot API Token is not set", permanent=True)
        if config.parse_mode not in PARSE_MODES:
            raise TransportError(
                f"unknown Telegram parse mode {config.parse_mode!r}", permanent=True
            )
        secrets = (config.bot_token,)
        super().__init__(client or HttpClient(config.http, secrets=secrets), clock=clock)
        self.config = config

    @classmethod
    def configure(
        cls, parameters: Mapping[str, str], *, base_url: str, http: HttpSettings
    ) -> TelegramTransport:
        return cls(TelegramConfig.from_parameters(parameters, base_url=base_url, http=http))

    @classmethod
    def message_format(cls, parameters: Mapping[str, str]) -> str:
        return PARSE_MODES.get(parameters.get("parse_mode", "Markdown").strip(), "text")

    def method_url(self, method: str) -> str:
        """``{base}/bot<token>/<method>``; a base ending in ``/bot`` (ATSD's gateway
        example) is taken as the base without it."""
        base = self.config.base_url.rstrip("/").removesuffix("/bot")
        return f"{base}/bot{self.config.bot_token}/{method}"

    # ------------------------------------------------------------- answers

    @staticmethod
    def _answer(result: HttpResult) -> dict[str, Any]:
        try:
            answer = json.loads(result.body_text)
        except ValueError:
            return {}
        return answer if isinstance(answer, dict) else {}

    def error_text(self, result: HttpResult) -> str:
        """``HTTP <status>: <description>``, with the new chat id of a migrated group."""
        answer = self._answer(result)
        description = answer.get("description")
        if not description:
            return super().error_text(result)
        text = f"HTTP {result.status}: {description}"
        parameters = answer.get("parameters")
        if isinstance(parameters, dict) and parameters.get("migrate_to_chat_id"):
            text += (
                f" (the group is now chat {parameters['migrate_to_chat_id']}: set Chat ID to it)"
            )
        return text

    def retry_after(self, result: HttpResult, now: float) -> float | None:
        """Flood control says ``parameters.retry_after`` in the body; Retry-After counts too."""
        header = super().retry_after(result, now)
        parameters = self._answer(result).get("parameters")
        body: float | None = None
        if isinstance(parameters, dict):
            try:
                body = max(0.0, float(parameters["retry_after"]))
            except (KeyError, TypeError, ValueError):
                body = None
        waits = [w for w in (header, body) if w is not None]
        return max(waits) if waits else None

    def classify(self, result: HttpResult) -> TransportError | None:
        """A 2xx whose body says ``ok: false`` is refused too (never seen, but documented)."""
        error = super().classify(result)
        if error is None and self._answer(result).get("ok") is False:
            return TransportError(
                f"Telegram error: {self.error_text(result)}",
                permanent=True,
                status=result.status,
                response_text=self.client.redact(result.body_text),
                elapsed_ms=result.elapsed_ms,
            )
        return error

    def message_id(self, result: HttpResult) -> str:
        sent = self._answer(result).get("result")
        return str(sent.get("message_id", "")) if isinstance(sent, dict) else ""

    # ------------------------------------------------------------- sending

    def message_payload(self, text: str) -> dict[str, Any]:
        """The ``sendMessage`` JSON: the text cut to the limit, the parse mode when the
        text parses in it, the endpoint's notification and preview switches."""
        if not text.strip():
            raise TransportError("Telegram rejects an empty message; nothing sent", permanent=True)
        mode = self.config.parse_mode
        text = fit(text, TEXT_LIMIT, cut_html if mode == "HTML" else cut_text)
        payload: dict[str, Any] = {"chat_id": self.config.chat_id, "text": text}
        if mode and (mode != "Markdown" or markdown_parses(text)):
            payload["parse_mode"] = mode
        if self.config.disable_notification:
            payload["disable_notification"] = True
        if self.config.disable_web_page_preview:
            payload["disable_web_page_preview"] = True
        return payload

    def send_text(
        self, text: str, *, severity: str = "UNDEFINED", target: str = SINGLE_TARGET
    ) -> Sent:
        """``sendMessage``; Telegram has no colours, so ``severity`` is not shown."""
        payload = self.message_payload(text)
        footprint = Footprint(self.config.chat_id, MESSAGE_ITEM, payload["text"])
        return self.request(
            "POST", self.method_url("sendMessage"), json=payload, footprint=footprint
        )

    def send_file(self, file: Attachment, *, target: str = SINGLE_TARGET) -> Sent:
        """``sendPhoto`` for an image, ``sendDocument`` for anything else (the details
        ``.txt``), as ``multipart/form-data`` with the caption as plain text."""
        is_photo = file.content_type.startswith("image/")
        method, part = ("sendPhoto", "photo") if is_photo else ("sendDocument", "document")
        caption = fit(file.caption, CAPTION_LIMIT)
        fields: dict[str, Any] = {"chat_id": self.config.chat_id}
        if caption:
            fields["caption"] = caption
        if self.config.disable_notification:
            fields["disable_notification"] = "true"
        fields[part] = (file.name, file.content, file.content_type)
        body, content_type = encode_multipart_formdata(fields)
        kind = PHOTO_ITEM if is_photo else DOCUMENT_ITEM
        footprint = Footprint(self.config.chat_id, kind, caption, file.name)
        return self.request(
            "POST",
            self.method_url(method),
            headers={"Content-Type": content_type},
            data=body,
            footprint=footprint,
        )
