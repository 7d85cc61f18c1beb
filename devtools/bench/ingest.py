"""Benchmark of the command parser against a naive ``str.split`` loop.

The naive loop does the same job for unquoted input the obvious way (split,
partition, lower-case, float/int, build the same ``Event`` objects) with no
validation, no quoting and no error reporting: it is the floor a careful
parser is measured against. Figures are printed by ``manage.py bench_ingest``
and never asserted in tests.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from rules.events import SERIES, Event
from rules.ingest.commands import parse_command

_RECEIVE_MS = 1_700_000_000_000
_REPEATS = 3


def generate_lines(count: int, seed: int = 1) -> list[str]:
    """``series`` lines with an entity, two tags, one metric and an ``ms:`` time."""
    rng = random.Random(seed)
    lines = []
    for i in range(count):
        entity = f"Server-{rng.randrange(500):03d}"
        metric = ("cpu_busy", "Memory_Used", "disk_used_percent", "net_rx")[i % 4]
        value = round(rng.uniform(-1000.0, 100000.0), rng.randrange(4))
        lines.append(
            f"series e:{entity} m:{metric}={value} t:DataCenter=dc{rng.randrange(8)} "
            f"t:role={rng.choice(('web', 'db', 'cache'))} ms:{_RECEIVE_MS - i * 1000}"
        )
    return lines


def naive_parse(line: str, receive_ms: int) -> list[Event]:
    """Correct for unquoted, valid series lines only; the baseline being measured."""
    entity = ""
    time_ms = receive_ms
    tags: dict[str, str] = {}
    values: dict[str, float] = {}
    for token in line.split(" ")[1:]:
        prefix, _, payload = token.partition(":")
        if prefix == "e":
            entity = payload.lower()
        elif prefix == "m":
            name, _, value = payload.partition("=")
            values[name.lower()] = float(value)
        elif prefix == "t":
            name, _, value = payload.partition("=")
            tags[name.lower()] = value
        elif prefix == "ms":
            time_ms = int(payload)
    return [
        Event(
            kind=SERIES,
            entity=entity,
            metric=name,
            tags=tags,
            time_ms=time_ms,
            receive_ms=receive_ms,
            value=value,
            line_values=values,
        )
        for name, value in values.items()
    ]


def _seconds(parse: Callable[[str, int], list[Event]], lines: list[str]) -> float:
    started = time.perf_counter()
    for line in lines:
        parse(line, _RECEIVE_MS)
    return time.perf_counter() - started


def run_bench(lines: int = 200_000) -> dict[str, float]:
    """Time ``parse_command`` and the naive loop over the same generated lines.

    Returns ``{"lines", "parser_lines_per_s", "naive_lines_per_s", "ratio"}``
    where ``ratio`` is parser / naive (best of three runs each). Both parsers
    are first checked to produce the same events, so the figures compare
    equal work.
    """
    sample = generate_lines(lines)
    for line in sample[:100]:
        if parse_command(line, _RECEIVE_MS) != naive_parse(line, _RECEIVE_MS):
            raise AssertionError(f"parser and naive loop disagree on {line!r}")
    # Rounds alternate between the two so drift in machine load hits both alike.
    naive_best = parser_best = float("inf")
    for _ in range(_REPEATS):
        naive_best = min(naive_best, _seconds(naive_parse, sample))
        parser_best = min(parser_best, _seconds(parse_command, sample))
    naive = len(sample) / naive_best
    parser = len(sample) / parser_best
    return {
        "lines": float(lines),
        "parser_lines_per_s": parser,
        "naive_lines_per_s": naive,
        "ratio": parser / naive,
    }
