"""Text forms of expression values (spec §5.3), table rounding (§6) and durations (§5.4)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

MAP_FORMATS = ("legacy", "modern")


def format_number(x: int | float) -> str:
    """Shortest round-trip decimal; integral values without ``.0``; ``NaN``.

    Plain notation for 1e-4 ≤ |x| < 1e15 (Python ``repr`` is plain there), the
    ``repr`` form outside that range, as spec §5.3 decides.
    """
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    ax = abs(x)
    if 1e-4 <= ax < 1e15:
        if x.is_integer():
            return str(int(x))
        return repr(x)
    return repr(x)


def format_value(value: Any, map_format: str = "legacy") -> str:
    """Text of ``value`` as a placeholder or a string join shows it.

    ``None`` → ``''``; booleans ``true``/``false``; numbers per ``format_number``;
    maps ``{k1=v1, k2=v2}`` with sorted keys (``map_format='modern'`` gives
    ``[k1: v1, k2: v2]``); lists ``[a, b]``; DateTime like Java
    ``ZonedDateTime.toString()``; anything else via ``str()``.
    """
    if value is None:
        return ""
    return _text(value, map_format, top=True)


def _text(value: Any, map_format: str, top: bool) -> str:
    if value is None:
        return "" if top else "null"
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return format_number(value)
    if isinstance(value, Mapping):
        items = sorted(value.items(), key=lambda kv: str(kv[0]))
        if map_format == "modern":
            inner = ", ".join(
                f"{_text(k, map_format, False)}: {_text(v, map_format, False)}" for k, v in items
            )
            return f"[{inner}]"
        inner = ", ".join(
            f"{_text(k, map_format, False)}={_text(v, map_format, False)}" for k, v in items
        )
        return "{" + inner + "}"
    if isinstance(value, list | tuple | set | frozenset):
        seq = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return "[" + ", ".join(_text(v, map_format, False) for v in seq) + "]"
    return str(value)


def round_significant(x: float | int, digits: int = 5) -> str:
    """Round for notification tables (spec §6): 5 significant digits.

    Fixed notation for 1e-3 ≤ |x| < 1e7 with trailing zeros and a bare ``.``
    removed; otherwise ``mantissa`` + ``e`` + exponent (no ``+``, no leading
    zeros); integral values without decimals. NaN → ``NaN``.
    """
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if math.isnan(x) or math.isinf(x):
        return format_number(x)
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    # '%.{d}e' rounds once, so 9999.96 becomes 1.0000e+04 and the exponent is right.
    sci = f"{x:.{digits - 1}e}"
    mantissa, _, exp_text = sci.partition("e")
    exponent = int(exp_text)
    if -3 <= exponent < 7:
        return format(Decimal(sci).normalize(), "f")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{exponent}"


def format_duration(seconds: int | float) -> str:
    """``DD:HH:MM:SS`` with two digits minimum per part (spec §5.4): 105 → ``00:00:01:45``."""
    total = max(0, int(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{days:02d}:{hours:02d}:{minutes:02d}:{secs:02d}"


def format_duration_interval(seconds: int | float) -> str:
    """Units ``d h m s`` from the largest non-zero one down to seconds: 4139 → ``1h:8m:59s``."""
    total = max(0, int(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    while len(parts) > 1 and parts[0][0] == 0:
        parts.pop(0)
    return ":".join(f"{n}{unit}" for n, unit in parts)


# -- command tags in network syntax (``${commandTags}``) ---------------------------------

_NEEDS_QUOTES = re.compile(r'[\s"=]|[\x00-\x1f\x7f]')


def network_quote(text: str) -> str:
    """A tag name or value as a network command writes it: quoted (``""`` for ``"``)
    when empty or holding whitespace, quotes, ``=`` or control characters (spec §1.2)."""
    if text and not _NEEDS_QUOTES.search(text):
        return text
    return '"' + text.replace('"', '""') + '"'


def command_tags(tags: Mapping[str, str]) -> str:
    """``t:mount_point=/ t:file_system=sda``: the tags in command order, network syntax."""
    return " ".join(f"t:{network_quote(k)}={network_quote(str(v))}" for k, v in tags.items())
