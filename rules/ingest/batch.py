"""Parse a body of command lines into events, keeping the good lines and naming the bad."""

from dataclasses import dataclass, field

from rules.ingest.commands import CommandError, parse_command
from rules.ingest.events import Event
from rules.ingest.lines import MAX_LINE_BYTES


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


def _strip_cr(text: str) -> str:
    return text[:-1] if text.endswith("\r") else text


def _parse(command: str, receive_ms: int) -> tuple[list[Event], str | None]:
    try:
        return parse_command(command, receive_ms), None
    except CommandError as exc:
        return [], str(exc)


def parse_body(text: str, receive_ms: int) -> ParsedBody:
    """Parse every command of ``text``; line numbers are physical and 1-based.

    A double-quoted value may span lines (spec §1.2 rule 3). When a command that
    spans lines does not parse, or its quote never closes, the quote is taken to
    be a stray one: the first physical line is reported alone and parsing resumes
    on the next line, so one unterminated quote cannot swallow the good lines
    after it.
    """
    result = ParsedBody()
    physical = text.split("\n")
    count = len(physical)
    i = 0
    while i < count:
        first = physical[i]
        end = i
        if first.count('"') % 2:
            size = len(first)
            open_quote = True
            while open_quote and end + 1 < count and size <= MAX_LINE_BYTES:
                end += 1
                size += len(physical[end]) + 1
                if physical[end].count('"') % 2:
                    open_quote = False
            if open_quote:
                end = i  # never closed: a stray quote on this line
        command = _strip_cr(first if end == i else "\n".join(physical[i : end + 1]))
        if not command or command.isspace():
            i = end + 1
            continue
        events, error = _parse(command, receive_ms)
        if error is not None and end > i:
            # Retry the first line alone: its own error is the one to report.
            end = i
            command = _strip_cr(first)
            events, error = _parse(command, receive_ms)
        if error is not None:
            result.errors.append(LineError(i + 1, error, command[:PREVIEW_CHARS]))
        else:
            result.events.extend(events)
            result.success += 1
        i = end + 1
    return result
