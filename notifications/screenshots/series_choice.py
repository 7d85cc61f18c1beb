"""The Test Portal's series picker (endpoint form, Send Screenshot): the recorded series
as choices, the most recently active first, and the chosen one read back.

A choice's value is the series as a query string (``metric=…&entity=…&tags.k=v``), so a
posted value names a series without trusting anything but its own text. The empty
choice is the default: the most recently active series of the users' data, never this
server's own metrics (those are listed, marked, for whoever wants them).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from rules.contract.series import SeriesName, default_chart_series, recent_series

TAG_PREFIX = "tags."
#: How many series the picker lists.
CHOICES = 100


def label(series: SeriesName) -> str:
    """``metric · entity {k=v, …}``, marked when it is this server's own."""
    tags = ", ".join(f"{k}={v}" for k, v in sorted(series.tags.items()))
    text = f"{series.metric} · {series.entity}" + (f" {{{tags}}}" if tags else "")
    return text + (" (this server)" if series.own else "")


def value(series: SeriesName) -> str:
    pairs = [("metric", series.metric), ("entity", series.entity)]
    pairs += [(TAG_PREFIX + k, v) for k, v in sorted(series.tags.items())]
    return urlencode(pairs)


def parse(text: str) -> SeriesName | None:
    """The series a posted choice names; None for the default or a value without one."""
    pairs = dict(parse_qsl(text or ""))
    if not pairs.get("metric") or not pairs.get("entity"):
        return None
    tags = {k.removeprefix(TAG_PREFIX): v for k, v in pairs.items() if k.startswith(TAG_PREFIX)}
    return SeriesName(pairs["metric"], pairs["entity"], tags)


def choices() -> list[tuple[str, str]]:
    """The default first (naming the series it stands for), then the recent series."""
    default = default_chart_series()
    first = (
        f"Most recent user series: {label(default)}"
        if default
        else ("Most recent user series (none recorded yet)")
    )
    return [("", first)] + [(value(s), label(s)) for s in recent_series(CHOICES)]
