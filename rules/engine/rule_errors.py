"""A failed evaluation as the engine records it, for the Rule Errors page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class RuleError:
    """A failed evaluation (Rule Errors page): status unchanged, no trigger."""

    time_ms: int
    rule: str
    error: str
    expression: str
    command: list[Any] | None = None  # the triggering event in wire form
    window_key: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "time_ms": self.time_ms,
            "rule": self.rule,
            "error": self.error,
            "expression": self.expression,
            "command": self.command,
            "window_key": self.window_key,
        }
