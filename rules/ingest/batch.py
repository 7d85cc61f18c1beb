"""Parse a body of command lines into events, keeping the good lines and naming the bad."""

from dataclasses import dataclass, field

from rules.ingest.commands import CommandError, parse_command
from rules.ingest.events import Event
from rules.ingest.lines import iter_lines


@dataclass
class LineError:
    line: int
    reason: str
    command: str

    def as_dict(self) -> dict:
        return {"line": self.line, "reason": self.reason, "command": self.command}


@dataclass
class ParsedBody:
    events: list[Event] = field(default_factory=list)
    success: int = 0
    errors: list[LineError] = field(default_factory=list)

    def summary(self) -> dict:
        fail = len(self.errors)
        return {
            "fail": fail,
            "success": self.success,
            "total": fail + self.success,
            "errors": [error.as_dict() for error in self.errors],
        }


PREVIEW_CHARS = 200


def parse_body(text: str, receive_ms: int) -> ParsedBody:
    result = ParsedBody()
    for number, line in iter_lines(text):
        try:
            events = parse_command(line, receive_ms)
        except CommandError as exc:
            result.errors.append(LineError(number, str(exc), line[:PREVIEW_CHARS]))
            continue
        result.events.extend(events)
        result.success += 1
    return result
