"""The normalised event every input surface produces and the rule engine consumes.

One event per metric of a ``series`` command, one per ``message`` or ``property``
command (spec §1.4). Events travel to Celery workers as plain lists (see
``to_wire``/``from_wire``) so one broker message can carry thousands of them cheaply.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Any

SERIES = "series"
MESSAGE = "message"
PROPERTY = "property"
# An ``entity`` command: applied to the entity registry at ingest, never routed to rules.
# ``text`` is the label (None: unchanged, "": removed), ``tags`` the tags ("" removes
# one), ``keys`` the other fields given: ``enabled``, ``interpolate``, ``time_zone``.
ENTITY = "entity"

# Message severities by code (spec §1.3); names accepted case-insensitively.
SEVERITY_NAMES = (
    "UNDEFINED",
    "UNKNOWN",
    "NORMAL",
    "WARNING",
    "MINOR",
    "MAJOR",
    "CRITICAL",
    "FATAL",
)
SEVERITY_ALIASES = {"INFO": 2, "WARN": 3, "ERROR": 6}
# One string object per kind for events read from the wire (see ``Event.from_wire``).
_KINDS = {SERIES: SERIES, MESSAGE: MESSAGE, PROPERTY: PROPERTY, ENTITY: ENTITY}
# The empty tags and keys of such events: one dict for all of them, as events from one
# series line share theirs (events are never mutated once made).
_NONE: dict[str, str] = {}


@dataclass(slots=True)
class Event:
    kind: str
    entity: str
    metric: str
    tags: dict[str, str]
    time_ms: int
    receive_ms: int
    value: float = math.nan
    text: str | None = None
    # all m: values of the series line, for value('metric')
    line_values: dict[str, float] = field(default_factory=dict)
    # message: type/source/severity; property: type and keys
    type: str | None = None
    source: str | None = None
    severity: int | None = None
    keys: dict[str, str] = field(default_factory=dict)
    persist: bool = True
    # How many derived-command hops made this event (0: received from outside).
    derived_depth: int = 0

    def to_wire(self) -> list[Any]:
        """A compact JSON-safe list; NaN travels as None.

        The first seven fields always travel; the rest only up to the last one that
        differs from its default, and ``line_values`` only when it says more than
        ``{metric: value}`` (most series lines carry one metric).
        """
        value = None if self.value != self.value else self.value  # NaN check without math
        row: list[Any] = [self.kind, self.entity, self.metric, self.tags, self.time_ms,
                     self.receive_ms, value]  # fmt: skip
        line_values = self.line_values
        if len(line_values) == 1 and self.metric in line_values:
            # Most events: one metric and nothing else to say, so no extras to trim.
            if (self.text is None and self.type is None and self.source is None
                    and self.severity is None and not self.keys and self.persist
                    and not self.derived_depth):  # fmt: skip
                return row
            lv = None
        elif line_values:
            lv = {k: (None if v != v else v) for k, v in line_values.items()}
        else:
            lv = {}
        extras = [self.text, lv, self.type, self.source, self.severity, self.keys or None,
                  None if self.persist else False, self.derived_depth or None]  # fmt: skip
        while extras and extras[-1] is None:
            extras.pop()
        row.extend(extras)
        return row

    @classmethod
    def from_wire(cls, row: list[Any]) -> Event:
        """Inverse of ``to_wire``.

        Kind and metric names are shared strings, and empty tags and keys a shared
        dict, rather than the decoder's copies: the engine keeps each window's last
        event, a million of them in a big partition.
        """
        if len(row) == 7:  # the common case: one metric, no text, defaults elsewhere
            kind, entity, metric, tags, time_ms, receive_ms, value = row
            kind = _KINDS.get(kind, kind)
            metric = sys.intern(metric)
            value = math.nan if value is None else value
            return cls(kind, entity, metric, tags or _NONE, time_ms, receive_ms, value, None,
                       {metric: value} if kind == SERIES else {}, keys=_NONE)  # fmt: skip
        kind, entity, metric, tags, time_ms, receive_ms, value = row[:7]
        extras = row[7:] + [None] * (15 - len(row))
        text, lv, type_, source, severity, keys, persist, depth = extras
        value = math.nan if value is None else value
        if lv is None:
            line_values = {metric: value} if kind == SERIES else {}
        else:
            line_values = {k: (math.nan if v is None else v) for k, v in lv.items()}
        return cls(
            kind=kind,
            entity=entity,
            metric=metric,
            tags=tags,
            time_ms=time_ms,
            receive_ms=receive_ms,
            value=value,
            text=text,
            line_values=line_values,
            type=type_,
            source=source,
            severity=severity,
            keys=keys or {},
            persist=persist is not False,
            derived_depth=depth or 0,
        )
