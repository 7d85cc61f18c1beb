"""The fake HipChat server standing alone, for a dry run of the README's first steps
(``python manage.py fake_hipchat``).

It serves the HipChat REST API v2 as :mod:`devtools.fakes.hipchat` does for the tests,
with one room and two tokens, prints what to type into the endpoint form, prints every
message it receives, and shows the room at its root URL as a page (text, links and the
chart images received), refreshing itself every 3 s. It is not HipChat: nothing leaves
the machine.
"""

from __future__ import annotations

import base64
import html
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from devtools.fakes.hipchat import HipChatFake, RecordedRequest, Room

ROOM_PAGE_REFRESH_S = 3
# What a room page renders of html-format messages; everything else is shown escaped.
_ALLOWED_TAGS = {"a", "b", "strong", "i", "em", "u", "br", "code", "pre", "p", "ul", "ol", "li"}
_ALLOWED_TAGS |= {"table", "thead", "tbody", "tr", "th", "td", "span", "img"}
_COLORS = {"yellow": "#f6c342", "green": "#14892c", "red": "#d04437", "purple": "#654982"}
_COLORS |= {"gray": "#999999", "random": "#3b73af"}


class _Sanitizer(HTMLParser):
    """Keeps the tags HipChat renders and ``http(s)`` links; escapes everything else."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED_TAGS:
            return
        kept = ""
        for name, value in attrs:
            if name in ("href", "src") and (value or "").startswith(("http://", "https://")):
                kept += f' {name}="{html.escape(value or "")}"'
        self.out.append(f"<{tag}{kept}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in _ALLOWED_TAGS and tag not in ("br", "img"):
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data))


def message_html(text: str, message_format: str) -> str:
    """A message body for the room page: ``html`` format sanitized, ``text`` escaped."""
    if message_format != "html":
        return html.escape(text).replace("\n", "<br>")
    sanitizer = _Sanitizer()
    sanitizer.feed(text)
    sanitizer.close()
    return "".join(sanitizer.out)


def _item(request: RecordedRequest) -> str:
    when = datetime.fromtimestamp(request.received_at, UTC).strftime("%H:%M:%S")
    source = (request.metadata if request.endpoint == "share/file" else request.json) or {}
    sender = html.escape(str(source.get("from") or "ATSD"))
    color = _COLORS.get(str(source.get("color", "gray")), "#999999")
    body = message_html(str(source.get("message", "")), str(source.get("message_format", "html")))
    if request.file is not None:
        name = html.escape(request.file.filename or "file")
        if request.file.content_type.startswith("image/png"):
            data = base64.b64encode(request.file.data).decode("ascii")
            body += f'<div class="file"><img alt="{name}" src="data:image/png;base64,{data}"></div>'
        else:
            body += f'<div class="file">📎 {name} ({len(request.file.data)} bytes)</div>'
    return (
        f'<li class="msg {html.escape(str(request.endpoint))}" style="border-color:{color}">'
        f'<span class="when">{when}</span> <span class="from">{sender}</span>'
        f'<div class="body">{body}</div></li>'
    )


def room_page(room: Room, requests: Iterable[RecordedRequest], *, refresh_s: int = 0) -> str:
    """The room's history as one HTML page, oldest message first (``refresh_s`` 0: static)."""
    items = "\n".join(_item(r) for r in requests) or '<li class="empty">No messages yet.</li>'
    meta = f'<meta http-equiv="refresh" content="{refresh_s}">' if refresh_s else ""
    name = html.escape(room.name)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">{meta}<title>{name} · fake HipChat</title>
<style>
body {{ font: 14px/1.45 system-ui, sans-serif; margin: 0; background: #f5f5f5; color: #333; }}
header {{ background: #205081; color: #fff; padding: 10px 20px; font-size: 16px; }}
header small {{ opacity: .75; margin-left: 8px; }}
ul {{ list-style: none; margin: 0; padding: 12px 20px; }}
li.msg {{ background: #fff; border-left: 5px solid; margin: 0 0 8px; padding: 8px 12px; }}
.when {{ color: #888; font-size: 12px; }} .from {{ font-weight: 600; }}
.body {{ margin-top: 2px; }}
.file img {{ max-width: 100%; border: 1px solid #ddd; margin-top: 6px; }}
li.empty {{ color: #888; }}
</style></head>
<body><header>{name}<small>room {room.id} · fake HipChat server (not HipChat)</small></header>
<ul id="room-history">
{items}
</ul></body></html>
"""


class StandaloneHipChat(HipChatFake):
    """The fake with the room page at ``/`` (``/?room=<id or name>``); plain HTTP only."""

    def _serve(self, handler: Any) -> None:
        path, _, query = handler.path.partition("?")
        if handler.command == "GET" and path == self.prefix + "/":
            wanted = query.partition("room=")[2] or "1"
            room = self._resolve_room(wanted)
            if room is None:
                handler.send_error(404, "No such room")
                return
            page = room_page(room, self.room_messages(room), refresh_s=ROOM_PAGE_REFRESH_S)
            data = page.encode("utf-8")
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html; charset=utf-8")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
            return
        super()._serve(handler)


def describe(request: RecordedRequest) -> str:
    """One console line for a request the fake answered."""
    source = (request.metadata if request.endpoint == "share/file" else request.json) or {}
    text = str(source.get("message", "")).replace("\n", " ")
    if len(text) > 160:
        text = text[:157] + "..."
    what = f"{request.method} {request.path}"
    if request.auth_test:
        return f"{what} -> {request.status} (token check, nothing posted)"
    line = f"{what} -> {request.status} {text}".rstrip()
    if request.file is not None:
        line += f" [file {request.file.filename}, {len(request.file.data)} bytes]"
    return line


def serve(
    *,
    port: int,
    room_name: str,
    notification_token: str = "",
    message_token: str = "",
    write: Callable[[str], None] = print,
) -> None:
    """Serve one room until Ctrl-C, writing the form's values and then each request.

    Raises OSError when ``port`` cannot be listened on.
    """
    fake = StandaloneHipChat(port=port)
    room = fake.add_room(room_name)
    notification = fake.add_token(notification_token or None, scopes=["send_notification"])
    # A user token that may also read the room: how delivery checks, after a crash,
    # whether a request whose answer was lost reached the room.
    message = fake.add_token(message_token or None, scopes=["send_message", "view_messages"])
    fake.start()
    write(
        "Fake HipChat v2 server for a dry run (not HipChat: nothing leaves this machine)\n"
        f"  Endpoint URL:       {fake.url}\n"
        f"  Room Id:            {room.id}   (or its name: {room.name})\n"
        f"  Notification Token: {notification}\n"
        f"  Message Token:      {message}   (scopes send_message, view_messages)\n"
        f"  Room page:          {fake.url}/\n"
        "Messages it receives are printed below. Ctrl-C stops it."
    )
    seen = 0
    try:
        while True:
            log = fake.log
            for request in log[seen:]:
                write(describe(request))
            seen = len(log)
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
