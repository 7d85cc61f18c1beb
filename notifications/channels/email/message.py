"""The MIME message of one email notification (Python's ``email`` package).

A notification is an HTML body with the charts inline: each chart is an
``image/png`` part of a ``multipart/related`` body, referred to by its Content-ID
(``<img src="cid:…">``, RFC 2392), so mail clients show it in place without loading
anything from the network. A plain-text alternative carries the same text without
markup for clients that show no HTML.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

# An urgent notification (``<priority>`` 1): X-Priority 1 is "highest" for Outlook and
# Thunderbird, Importance (RFC 2156) for Exchange.
URGENT_HEADERS = {"X-Priority": "1 (Highest)", "Importance": "high"}
MSGID_DOMAIN = "atsd-alerts"

_TAGS = re.compile(r"<[^>]+>")
_BREAKS = re.compile(r"(?i)<br\s*/?>|</p>|</tr>|<hr\s*/?>")
_BLANK_LINES = re.compile(r"\n{3,}")
_HEADER_BREAKS = re.compile(r"[\r\n]+\s*")


@dataclass(frozen=True)
class InlineImage:
    """A chart shown in the body: its PNG, file name and caption (the image's alt text)."""

    png: bytes
    filename: str
    caption: str


@dataclass
class EmailContent:
    """What one email says: the subject, the HTML body, the recipients, whether it
    is urgent, and the charts shown after the body."""

    subject: str
    html: str
    recipients: tuple[str, ...]
    urgent: bool = False
    images: list[InlineImage] = field(default_factory=list)

    @property
    def preview(self) -> str:
        return f"{self.subject}\n{plain_text(self.html)}"


def single_line(text: str) -> str:
    """A header value on one line: line breaks in a rendered subject become spaces
    (a header must not carry them: they would start new headers)."""
    return _HEADER_BREAKS.sub(" ", text).strip()


def plain_text(markup: str) -> str:
    """The text of an HTML body for the plain-text alternative."""
    text = _BREAKS.sub("\n", markup)
    text = html.unescape(_TAGS.sub("", text))
    return _BLANK_LINES.sub("\n\n", text).strip()


def compose(content: EmailContent, *, sender: str, sender_name: str = "") -> EmailMessage:
    """The message to send: From, To, Subject, Date, Message-ID, the priority
    headers when urgent, and the body with its inline charts."""
    message = EmailMessage()
    message["From"] = Address(display_name=sender_name, addr_spec=sender) if sender_name else sender
    message["To"] = ", ".join(content.recipients)
    message["Subject"] = single_line(content.subject)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=MSGID_DOMAIN)
    if content.urgent:
        for name, value in URGENT_HEADERS.items():
            message[name] = value
    cids = [make_msgid(domain=MSGID_DOMAIN) for _ in content.images]
    body = content.html + "".join(
        f'<p><img src="cid:{cid[1:-1]}" alt="{html.escape(image.caption)}"></p>'
        for cid, image in zip(cids, content.images, strict=True)
    )
    message.set_content(plain_text(content.html))
    message.add_alternative(f"<html><body>{body}</body></html>", subtype="html")
    html_part = list(message.iter_parts())[-1]  # the alternative just added
    for cid, image in zip(cids, content.images, strict=True):
        html_part.add_related(
            image.png, maintype="image", subtype="png", cid=cid, filename=image.filename
        )
    return message
