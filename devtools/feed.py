"""Demo samples for one entity and metric, sent through the TCP listener (``manage.py feed``).

What the README's first steps (and the browser walkthrough) use to make the walkthrough
rule ``atsd.jvm.low_memory`` (``avg() > 10 || max() > 85``) open, repeat and cancel::

    python manage.py feed --pattern high --count 3      # OPEN, then REPEATs
    python manage.py feed --pattern low --count 20      # CANCEL once the highs left the window
    python manage.py feed --pattern wave --count 0      # a sine between 5 and 95, until Ctrl-C
    python manage.py feed --pattern wave --count 60 --backfill 60 --interval 0  # an hour of history

Every line is sent with ATSD's ``debug`` prefix, so the listener answers ``ok`` only
after it handed the sample to the engine (or ``Invalid command: ...``): when the command
returns, what it reports as accepted is in the broker.
"""

from __future__ import annotations

import itertools
import math
import re
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Mapping

PATTERNS = ("high", "low", "wave")
DEBUG_PREFIX = "debug "
# Quote a name or value holding what the scanner would split on or misread (spec §1.2).
_NEEDS_QUOTES = re.compile(r'[\s"=]')


class FeedError(RuntimeError):
    """The listener refused a line or went away; the message says which line and why."""


def pattern_value(pattern: str, index: int) -> float:
    """The ``index``-th sample (from 0) of ``pattern``.

    * ``high``: 86…95, above ``max() > 85`` and ``avg() > 10`` (opens and repeats);
    * ``low``: 2…8, below both thresholds (cancels once no high sample is in the window);
    * ``wave``: a sine between 5 and 95 with a period of 20 samples, starting at 50.

    Raises ValueError for another pattern.
    """
    if pattern == "high":
        return float(86 + (index * 3) % 10)
    if pattern == "low":
        return float(2 + index % 7)
    if pattern == "wave":
        return round(50 + 45 * math.sin(2 * math.pi * index / 20), 1)
    raise ValueError(f"unknown pattern {pattern!r}; one of {', '.join(PATTERNS)}")


def pattern_values(pattern: str, count: int) -> Iterator[float]:
    """``count`` samples of ``pattern`` (``count`` 0: without end)."""
    indexes = itertools.count() if count == 0 else range(count)
    return (pattern_value(pattern, i) for i in indexes)


def quote(text: str) -> str:
    """``text`` as a network-command name or value: double-quoted (``"`` doubled) when needed."""
    if text and not _NEEDS_QUOTES.search(text):
        return text
    return '"' + text.replace('"', '""') + '"'


def format_number(value: float) -> str:
    """A sample value as ATSD reads it: integers without ``.0``, others as Python's repr."""
    return str(int(value)) if value.is_integer() else repr(value)


def series_line(
    entity: str, metric: str, value: float, tags: Mapping[str, str], time_ms: int | None = None
) -> str:
    """One ``series`` command; without ``time_ms`` the listener stamps it on arrival."""
    fields = [f"e:{quote(entity)}", f"m:{quote(metric)}={format_number(value)}"]
    fields += [f"t:{quote(name)}={quote(text)}" for name, text in tags.items()]
    if time_ms is not None:
        fields.append(f"ms:{time_ms}")
    return "series " + " ".join(fields)


def backfill_times(count: int, minutes: float, now_ms: int) -> list[int]:
    """``count`` times spread evenly over the ``minutes`` before ``now_ms``, oldest first,
    the last one ``now_ms``."""
    if count == 1:
        return [now_ms]
    step = minutes * 60_000 / (count - 1)
    return [now_ms - round((count - 1 - i) * step) for i in range(count)]


def parse_tags(texts: Iterable[str]) -> dict[str, str]:
    """``["host=axibase,env=demo", "dc=1"]`` → ``{"host": "axibase", "env": "demo", "dc": "1"}``.

    Raises ValueError on an item without ``=`` or with an empty name.
    """
    tags: dict[str, str] = {}
    for text in texts:
        for item in filter(None, (part.strip() for part in text.split(","))):
            name, equals, value = item.partition("=")
            if not equals or not name.strip():
                raise ValueError(f"tag {item!r} is not name=value")
            tags[name.strip()] = value.strip()
    return tags


def send_lines(
    lines: Iterable[str],
    host: str,
    port: int,
    *,
    interval_s: float = 0.0,
    timeout_s: float = 10.0,
    sent: Callable[[str], None] | None = None,
) -> int:
    """Send ``lines`` over one TCP connection, each acknowledged before the next.

    Waits ``interval_s`` between lines (not after the last). Calls ``sent(line)`` after
    each ``ok``. Returns how many lines were accepted; raises :class:`FeedError` when
    the listener answers ``Invalid command`` or closes the connection, and OSError
    when it cannot be reached.
    """
    accepted = 0
    with socket.create_connection((host, port), timeout=timeout_s) as sock:
        replies = sock.makefile("r", encoding="utf-8", newline="\n")
        for number, line in enumerate(lines, start=1):
            if number > 1 and interval_s > 0:
                time.sleep(interval_s)
            sock.sendall((DEBUG_PREFIX + line + "\n").encode("utf-8"))
            reply = replies.readline().rstrip("\n")
            if reply != "ok":
                reason = reply or "the listener closed the connection"
                raise FeedError(f"line {number} ({line}) was not accepted: {reason}")
            accepted += 1
            if sent is not None:
                sent(line)
    return accepted
