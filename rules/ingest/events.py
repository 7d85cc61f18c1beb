"""The normalised event every input surface produces and the rule engine consumes.

One event per metric of a ``series`` command, one per ``message`` or ``property``
command (spec §1.4). Events travel to Celery workers as plain lists (see
``to_wire``/``from_wire``) so one broker message can carry thousands of them cheaply.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

SERIES = "series"
MESSAGE = "message"
PROPERTY = "property"

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

    def to_wire(self) -> list:
        """A compact JSON-safe form; NaN travels as None."""
        value = None if math.isnan(self.value) else self.value
        line_values = {k: (None if math.isnan(v) else v) for k, v in self.line_values.items()}
        return [
            self.kind,
            self.entity,
            self.metric,
            self.tags,
            self.time_ms,
            self.receive_ms,
            value,
            self.text,
            line_values,
            self.type,
            self.source,
            self.severity,
            self.keys,
            self.persist,
        ]

    @classmethod
    def from_wire(cls, row: list) -> Event:
        (kind, entity, metric, tags, time_ms, receive_ms, value, text, line_values,
         type_, source, severity, keys, persist) = row  # fmt: skip
        return cls(
            kind=kind,
            entity=entity,
            metric=metric,
            tags=tags,
            time_ms=time_ms,
            receive_ms=receive_ms,
            value=math.nan if value is None else value,
            text=text,
            line_values={k: (math.nan if v is None else v) for k, v in line_values.items()},
            type=type_,
            source=source,
            severity=severity,
            keys=keys,
            persist=persist,
        )
