"""Parse a body of command lines into events, keeping the good lines and naming the bad.

The body is split by the same :class:`~rules.ingest.lines.LineSplitter` as a TCP
connection, so HTTP and TCP accept exactly the same lines. The answer lists the
first ``max_errors`` failed lines and counts the rest, so a body of bad lines costs
bounded memory however many there are; reading stops after ``max_failed`` failed lines,
so it costs bounded time too (the answer names the line where it stopped: nothing after
it was read, and a client sends those lines again once it has fixed its input).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rules.events import Event
from rules.ingest.commands import CommandError, parse_command
from rules.ingest.lines import Line, LineSplitter

PREVIEW_CHARS = 200
MAX_ERRORS_LISTED = 1000
MAX_FAILED_LINES = 10_000


class _TooManyFailures(Exception):
    """Raised by ``ParsedBody.reject`` at the failed-line cap: the body is read no further."""


@dataclass
class LineError:
    line: int
    reason: str
    command: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "reason": self.reason, "command": self.command}


class ParsedBody:
    """The events of the good lines, with the physical line each came from, and the
    failures: counted all, listed up to ``max_errors``."""

    def __init__(
        self, max_errors: int = MAX_ERRORS_LISTED, max_failed: int = MAX_FAILED_LINES
    ) -> None:
        self.events: list[Event] = []
        self.event_lines: list[int] = []  # the line number of each event
        self.success = 0
        self.fail = 0
        self.errors: list[LineError] = []
        self.max_errors = max_errors
        self.max_failed = max_failed
        self.stopped_at: int | None = None  # the line reading stopped at, if it did

    def accept(self, number: int, events: list[Event]) -> None:
        self.events.extend(events)
        if len(events) == 1:
            self.event_lines.append(number)
        else:
            self.event_lines.extend([number] * len(events))
        self.success += 1

    def reject(self, number: int, reason: str, command: str) -> None:
        self.fail += 1
        if len(self.errors) < self.max_errors:
            self.errors.append(LineError(number, reason, command[:PREVIEW_CHARS]))
        if self.stopped_at is None and self.fail >= self.max_failed:
            self.stopped_at = number
            raise _TooManyFailures

    def refuse(self, refused: Iterable[tuple[int, str]]) -> None:
        """Count as failed the lines of events the hand-off refused, given as
        (index into ``events``, reason)."""
        seen: set[int] = set()
        for index, reason in refused:
            number = self.event_lines[index]
            if number in seen:
                continue
            seen.add(number)
            event = self.events[index]
            self.success -= 1
            self.reject(number, reason, f"{event.kind} e:{event.entity} m:{event.metric}")
        if seen:
            self.errors.sort(key=lambda error: error.line)

    def summary(self) -> dict[str, Any]:
        answer = {
            "fail": self.fail,
            "success": self.success,
            "total": self.fail + self.success,
            "errors": [error.as_dict() for error in self.errors],
        }
        if self.fail > len(self.errors):
            answer["errors_not_listed"] = self.fail - len(self.errors)
        if self.stopped_at is not None:
            answer["stopped"] = (
                f"reading stopped at line {self.stopped_at} after {self.fail} failed lines; "
                f"the lines after it were not read"
            )
        return answer


def parse_body(
    chunks: Iterable[bytes] | bytes | str,
    receive_ms: int,
    max_errors: int = MAX_ERRORS_LISTED,
    max_failed: int = MAX_FAILED_LINES,
) -> ParsedBody:
    """Parse every command of a body given whole or as chunks; line numbers are
    physical and 1-based. Lines that fail to split (over-long, not UTF-8) or to
    parse are counted and listed with their reason; at ``max_failed`` of them the
    rest of the body is not read (``stopped_at``)."""
    if isinstance(chunks, str):
        chunks = chunks.encode("utf-8")
    if isinstance(chunks, bytes):
        chunks = [chunks]
    result = ParsedBody(max_errors, max_failed)
    splitter = LineSplitter()
    try:
        for chunk in chunks:
            _parse_lines(splitter.feed(chunk), receive_ms, result)
        _parse_lines(splitter.finish(), receive_ms, result)
    except _TooManyFailures:
        pass
    return result


def _parse_lines(lines: list[Line], receive_ms: int, result: ParsedBody) -> None:
    for number, text, error in lines:
        if error is None:
            try:
                result.accept(number, parse_command(text, receive_ms))
                continue
            except CommandError as exc:
                error = str(exc)
        result.reject(number, error, text)
