"""Text functions (spec §4.6). All are null-safe: a null text acts as ``''``."""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import quote_plus

from rules.expressions.errors import EvaluationError
from rules.expressions.functions.registry import register
from rules.expressions.semantics import text_of, to_number


def _t(v: Any) -> str:
    return text_of(v)


def _int(v: Any, what: str) -> int:
    return int(to_number(v, what))


@register("upper", 1)
def upper(ctx: Any, s: Any) -> str:
    """Upper case."""
    return _t(s).upper()


@register("lower", 1)
def lower(ctx: Any, s: Any) -> str:
    """Lower case."""
    return _t(s).lower()


@register("truncate", 2)
def truncate(ctx: Any, s: Any, n: Any) -> str:
    """The first n characters."""
    return _t(s)[: max(0, _int(n, "length"))]


@register("abbreviate", 2)
def abbreviate(ctx: Any, s: Any, n: Any) -> str:
    """Shorten to at most n characters ending with '...' (n ≥ 4), like Apache StringUtils."""
    text, width = _t(s), _int(n, "width")
    if width < 4:
        raise EvaluationError("abbreviate() width must be at least 4")
    return text if len(text) <= width else text[: width - 3] + "..."


@register("startsWith", 2)
def starts_with(ctx: Any, s: Any, prefix: Any) -> bool:
    """Whether s starts with prefix; false for null s."""
    return s is not None and _t(s).startswith(_t(prefix))


@register("endsWith", 2)
def ends_with(ctx: Any, s: Any, suffix: Any) -> bool:
    """Whether s ends with suffix; false for null s."""
    return s is not None and _t(s).endswith(_t(suffix))


def _empty(v: Any) -> bool:
    return v is None or (isinstance(v, str) and v == "")


@register("ifEmpty", 2)
def if_empty(ctx: Any, value: Any, fallback: Any) -> Any:
    """value unless it is null or '', else fallback."""
    return fallback if _empty(value) else value


@register("coalesce", 1, None)
def coalesce(ctx: Any, *items: Any) -> Any:
    """First non-empty element of a list argument (or of the arguments); null if none."""
    seq = items[0] if len(items) == 1 and isinstance(items[0], list | tuple) else items
    return next((v for v in seq if not _empty(v)), None)


@register("replace", 3)
def replace(ctx: Any, s: Any, old: Any, new: Any) -> str:
    """Replace every literal occurrence of old by new."""
    old_text = _t(old)
    return _t(s).replace(old_text, _t(new)) if old_text else _t(s)


@register("keepAfter", 2)
def keep_after(ctx: Any, s: Any, sub: Any) -> str:
    """The part after the first occurrence of sub; s unchanged when sub is absent."""
    text, p = _t(s), _t(sub)
    i = text.find(p)
    return text if i < 0 or not p else text[i + len(p) :]


@register("keepAfterLast", 2)
def keep_after_last(ctx: Any, s: Any, sub: Any) -> str:
    """The part after the last occurrence of sub; s unchanged when sub is absent."""
    text, p = _t(s), _t(sub)
    i = text.rfind(p)
    return text if i < 0 or not p else text[i + len(p) :]


@register("keepBefore", 2)
def keep_before(ctx: Any, s: Any, sub: Any) -> str:
    """The part before the first occurrence of sub; s unchanged when sub is absent."""
    text, p = _t(s), _t(sub)
    i = text.find(p)
    return text if i < 0 or not p else text[:i]


@register("keepBeforeLast", 2)
def keep_before_last(ctx: Any, s: Any, sub: Any) -> str:
    """The part before the last occurrence of sub; s unchanged when sub is absent."""
    text, p = _t(s), _t(sub)
    i = text.rfind(p)
    return text if i < 0 or not p else text[:i]


@register("removeBeginning", 2)
def remove_beginning(ctx: Any, s: Any, prefix: Any) -> str:
    """s without prefix when it starts with it."""
    text, p = _t(s), _t(prefix)
    return text[len(p) :] if p and text.startswith(p) else text


@register("removeEnding", 2)
def remove_ending(ctx: Any, s: Any, suffix: Any) -> str:
    """s without suffix when it ends with it."""
    text, p = _t(s), _t(suffix)
    return text[: -len(p)] if p and text.endswith(p) else text


@register("split", 2)
def split(ctx: Any, s: Any, separator: Any) -> list[str]:
    """Split on a literal separator; null → empty list."""
    if s is None:
        return []
    sep = _t(separator)
    return _t(s).split(sep) if sep else list(_t(s))


@register("list", 1, 2)
def list_(ctx: Any, s: Any, separator: Any = ",") -> list[str]:
    """Split on separator (default ','), trim the items and drop empty ones."""
    if s is None:
        return []
    sep = _t(separator) or ","
    return [p.strip() for p in _t(s).split(sep) if p.strip()]


@register("capFirst", 1)
def cap_first(ctx: Any, s: Any) -> str:
    """First character upper-cased."""
    text = _t(s)
    return text[:1].upper() + text[1:]


@register("capitalize", 1)
def capitalize(ctx: Any, s: Any) -> str:
    """First character of every whitespace-separated word upper-cased."""
    return re.sub(r"(^|\s)(\S)", lambda m: m.group(1) + m.group(2).upper(), _t(s))


@register("urlencode", 1)
def urlencode(ctx: Any, s: Any) -> str:
    """URL query encoding like Java URLEncoder (space → '+')."""
    return quote_plus(_t(s), safe="*")


@register("jsonencode", 1)
def jsonencode(ctx: Any, s: Any) -> str:
    """Escape s for use inside a JSON string literal (no surrounding quotes)."""
    return json.dumps(_t(s), ensure_ascii=False)[1:-1]


@register("htmlDecode", 1)
def html_decode(ctx: Any, s: Any) -> str:
    """Replace HTML entities by their characters."""
    return html.unescape(_t(s))


@register("unquote", 1)
def unquote(ctx: Any, s: Any) -> str:
    """Remove one pair of surrounding single or double quotes."""
    text = _t(s)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


@register("length", 1)
def length(ctx: Any, s: Any) -> int:
    """Number of characters (elements for a list or map); 0 for null."""
    if s is None:
        return 0
    if isinstance(s, list | tuple | dict):
        return len(s)
    return len(_t(s))


@register("indexOf", 2, 3)
def index_of(ctx: Any, s: Any, sub: Any, start: Any = 0) -> int:
    """0-based position of sub in s from start, -1 when absent."""
    return _t(s).find(_t(sub), _int(start, "start"))


@register("concat", 1, None)
def concat(ctx: Any, *parts: Any) -> str:
    """Join the texts (null as '')."""
    return "".join(_t(p) for p in parts)


@register("concatLines", 1, None)
def concat_lines(ctx: Any, *parts: Any) -> str:
    """Join the non-empty texts with line breaks."""
    return "\n".join(t for t in (_t(p) for p in parts) if t)
