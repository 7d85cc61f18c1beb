"""Messages cut to a service's length limit: visibly, and HTML kept valid.

Services refuse a message over their limit (HipChat answers 400, and the alert is
lost), so a long text is cut and ends with ``...``; an HTML cut never falls inside a
tag or an entity and closes the elements it leaves open.
"""

from __future__ import annotations

import re

ELLIPSIS = "..."
# Elements without a closing tag.
_VOID_TAGS = frozenset({"br", "img", "hr"})
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)\b[^>]*?(/?)>")
_OPEN_ENTITY = re.compile(r"&#?[A-Za-z0-9]*$")


def cut_text(text: str, limit: int) -> str:
    """``text`` if it fits, else its first ``limit - 3`` characters and ``...``."""
    if len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)] + ELLIPSIS


def _open_tags(fragment: str) -> list[str]:
    stack: list[str] = []
    for match in _TAG.finditer(fragment):
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        if closing:
            if name in stack:
                del stack[len(stack) - 1 - stack[::-1].index(name) :]
        elif not self_closing and name not in _VOID_TAGS:
            stack.append(name)
    return stack


def _safe_html_cut(text: str, position: int) -> int:
    """The largest cut ≤ ``position`` that is outside any tag and any entity."""
    head = text[:position]
    last_open, last_close = head.rfind("<"), head.rfind(">")
    if last_open > last_close:
        head = head[:last_open]
    entity = _OPEN_ENTITY.search(head)
    if entity is not None:
        head = head[: entity.start()]
    return len(head)


def cut_html(text: str, limit: int) -> str:
    """Cut HTML to ``limit`` characters, ending with ``...``.

    The cut never falls inside a tag or an entity, and elements left open are
    closed after the marker, so the result stays valid HTML.
    """
    if len(text) <= limit:
        return text
    position = limit - len(ELLIPSIS)
    while True:
        cut = _safe_html_cut(text, position)
        closers = "".join(f"</{name}>" for name in reversed(_open_tags(text[:cut])))
        if cut + len(ELLIPSIS) + len(closers) <= limit:
            return text[:cut] + ELLIPSIS + closers
        position = max(0, min(cut - 1, limit - len(ELLIPSIS) - len(closers)))
