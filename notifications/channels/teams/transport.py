"""Microsoft Teams: an Adaptive Card POSTed to a channel's Workflows webhook URL.

Contract (Microsoft Teams and Power Automate documentation): the Workflows template
"Send webhook alerts to a channel" gives a URL carrying its own signature (``sig=``);
it takes ``{"type": "message", "attachments": [{"contentType":
"application/vnd.microsoft.card.adaptive", "content": <card>}]}`` and answers 202
Accepted, posting the card afterwards (a card Teams refuses shows in the workflow's
run history, not in the answer). A Teams message holds at most 28 KB. Legacy Office
365 connector URLs (retired March 2026) take the same body and answer 200 ``1``; they
reported some failures as a 200 whose text says ``failed with error``, which counts as
an error here. A rate limit is 429 with ``Retry-After``.

A card: the text in a container styled by severity, its Markdown links also as
buttons; a details table is a card of its own in monospace. Teams takes no files
through a webhook, so a chart goes as its link (the delivery sends links instead of
images for kinds that take no files). A webhook cannot read its channel: a post whose
answer was lost is sent again (at least once).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from notifications.channels.base import (
    SINGLE_TARGET,
    Attachment,
    Footprint,
    HttpTransport,
    Sent,
    TransportError,
)
from notifications.channels.http import HttpClient, HttpResult, HttpSettings
from notifications.rendering.truncate import cut_text

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.4"
#: A Teams message holds at most 28 KB; the text is cut well inside it (JSON escapes grow it).
MESSAGE_BYTES = 28 * 1024
TEXT_LIMIT = 12_000
ACTIONS_LIMIT = 5
TABLE_LINES = 100  # with their markup, a hundred lines stay inside 28 KB
DETAILS_TITLE = "Alert Details"
CARD_ITEM = "card"
_MARKDOWN_LINK = re.compile(r"\[([^\]\n]{1,200})\]\((https?://[^)\s]{1,2000})\)")
#: Container styles by ATSD severity (Adaptive Cards: default, good, warning, attention).
SEVERITY_STYLES: Mapping[str, str] = {
    "NORMAL": "good",
    "INFO": "good",
    "WARNING": "warning",
    "WARN": "warning",
    "MINOR": "warning",
    "MAJOR": "attention",
    "CRITICAL": "attention",
    "ERROR": "attention",
    "FATAL": "attention",
}


def style_for(severity: str) -> str:
    return SEVERITY_STYLES.get(severity.strip().upper(), "default")


@dataclass(frozen=True)
class TeamsConfig:
    """One Teams channel's webhook."""

    webhook_url: str = field(repr=False)
    http: HttpSettings = field(default_factory=HttpSettings)

    @classmethod
    def from_parameters(
        cls, parameters: Mapping[str, str], *, http: HttpSettings | None = None
    ) -> TeamsConfig:
        return cls(parameters.get("webhook_url", "").strip(), http or HttpSettings())


def card_message(body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, Any]:
    """The webhook body: one message with one Adaptive Card."""
    card: dict[str, Any] = {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "msteams": {"width": "Full"},
        "body": body,
    }
    if actions:
        card["actions"] = actions
    attachment = {"contentType": CARD_TYPE, "contentUrl": None, "content": card}
    return {"type": "message", "attachments": [attachment]}


def link_actions(text: str) -> list[dict[str, Any]]:
    """An ``Action.OpenUrl`` button per Markdown link of ``text`` (the first few)."""
    return [
        {"type": "Action.OpenUrl", "title": label, "url": url}
        for label, url in dict.fromkeys(_MARKDOWN_LINK.findall(text))
    ][:ACTIONS_LIMIT]


class TeamsTransport(HttpTransport):
    """Posts Adaptive Cards to one Teams channel's webhook."""

    label = "Teams"
    text_limit = TEXT_LIMIT
    text_parameter = "text"

    def __init__(
        self,
        config: TeamsConfig,
        *,
        client: HttpClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        url = urlsplit(config.webhook_url)
        if url.scheme not in ("http", "https") or not url.netloc:
            raise TransportError("Teams webhook URL is not set", permanent=True)
        # The URL is the credential (its sig= signs it): hidden wherever it could show.
        secrets = (config.webhook_url, url.query) if url.query else (config.webhook_url,)
        super().__init__(client or HttpClient(config.http, secrets=secrets), clock=clock)
        self.config = config

    @classmethod
    def configure(
        cls, parameters: Mapping[str, str], *, base_url: str, http: HttpSettings
    ) -> TeamsTransport:
        """The webhook URL is the whole address; the endpoint URL is not used."""
        return cls(TeamsConfig.from_parameters(parameters, http=http))

    @classmethod
    def message_format(cls, parameters: Mapping[str, str]) -> str:
        """Adaptive Card text is Markdown."""
        return "markdown"

    def classify(self, result: HttpResult) -> TransportError | None:
        """A legacy connector's 200 whose text says it failed is an error (429 in it:
        transient)."""
        error = super().classify(result)
        if error is not None or "failed with error" not in result.body_text:
            return error
        transient = "HTTP error 429" in result.body_text or "HTTP error 5" in result.body_text
        return TransportError(
            self.client.redact(f"Teams error: {result.body_text[:300]}"),
            permanent=not transient,
            status=result.status,
            response_text=self.client.redact(result.body_text),
            elapsed_ms=result.elapsed_ms,
        )

    def error_text(self, result: HttpResult) -> str:
        """``HTTP <status>: <error.code>: <error.message>`` of a workflow's error body."""
        try:
            error = json.loads(result.body_text)["error"]
            text = f"{error['code']}: {error['message']}"
        except (ValueError, KeyError, TypeError):
            return super().error_text(result)
        return f"HTTP {result.status}: {text}"

    def _post(self, message: dict[str, Any], footprint: Footprint) -> Sent:
        body = json.dumps(message, ensure_ascii=False).encode("utf-8")
        if len(body) > MESSAGE_BYTES:
            raise TransportError(
                f"Teams card of {len(body):,} bytes is over the 28 KB message limit",
                permanent=True,
            )
        headers = {"Content-Type": "application/json; charset=utf-8"}
        return self.request(
            "POST", self.config.webhook_url, headers=headers, data=body, footprint=footprint
        )

    def send_text(
        self, text: str, *, severity: str = "UNDEFINED", target: str = SINGLE_TARGET
    ) -> Sent:
        """A card with ``text`` in a container styled by ``severity``, links as buttons."""
        if not text.strip():
            raise TransportError("Teams rejects an empty card; nothing sent", permanent=True)
        cut = cut_text(text, TEXT_LIMIT)
        while True:
            block = {"type": "TextBlock", "text": cut, "wrap": True}
            container = {"type": "Container", "style": style_for(severity), "items": [block]}
            message = card_message([container], link_actions(cut))
            size = len(json.dumps(message, ensure_ascii=False).encode("utf-8"))
            if size <= MESSAGE_BYTES or len(cut) < 100:
                break
            # Wide characters: cut again, in proportion to the excess, until it fits.
            cut = cut_text(cut, int(len(cut) * MESSAGE_BYTES / size) - 16)
        return self._post(message, Footprint("", CARD_ITEM, cut))

    def send_file(self, file: Attachment, *, target: str = SINGLE_TARGET) -> Sent:
        """A details table as a card in monospace; Teams webhooks take no other files."""
        if not file.content_type.startswith("text/plain"):
            return super().send_file(file, target=target)
        table = cut_text(file.content.decode("utf-8", errors="replace"), TEXT_LIMIT)
        # One block a line: Markdown in a TextBlock joins single line breaks.
        lines = [
            {"type": "TextBlock", "text": line, "fontType": "Monospace", "spacing": "None"}
            for line in table.splitlines()[:TABLE_LINES]
            if line.strip()
        ]
        title = {"type": "TextBlock", "text": DETAILS_TITLE, "weight": "Bolder", "wrap": True}
        footprint = Footprint("", CARD_ITEM, table, file.name)
        return self._post(card_message([title, *lines], []), footprint)
