"""Split network-command input into command lines (spec §1.2 rule 1 and 3).

A command ends at an LF that is outside double quotes; a trailing CR before
that LF is dropped; blank lines are skipped. A quoted value may hold LF, so a
command can span several physical lines. Because ``""`` (an escaped quote)
toggles the quote state twice, the quote state is simply the parity of the
``"`` characters seen since the command started.

A ``"`` that opens a quote in the middle of an unquoted value is treated the
same way here and rejected by the command parser, so both agree on where a
command ends.

Line numbers are physical: the 1-based number of the line where a command
starts, counting blank lines and the continuation lines of multi-line
commands, so an operator can find the command in the file that was sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

MAX_LINE_BYTES = 128 * 1024


def _is_blank(text: str) -> bool:
    # Lines of spaces only are as empty as an empty line to a human reader.
    return not text or text.isspace()


def iter_lines(body: str) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, command_text)`` for every non-blank command in ``body``.

    The text has its terminating LF and a CR just before it removed; LFs and
    CRs inside quoted values are kept. An unterminated quote runs to the end
    of the body and is yielded as it is, for the parser to reject. No length
    limit is applied here: the body is already in memory and the command
    parser reports over-long lines.
    """
    number = 0
    pending: list[str] = []
    start = 0
    open_quote = False
    for physical in body.split("\n"):
        number += 1
        if not pending:
            start = number
        pending.append(physical)
        if physical.count('"') % 2:
            open_quote = not open_quote
        if open_quote:
            continue
        text = pending[0] if len(pending) == 1 else "\n".join(pending)
        pending.clear()
        if text.endswith("\r"):
            text = text[:-1]
        if not _is_blank(text):
            yield start, text
    if pending:
        # Only reached with an open quote: hand the rest over as one command.
        yield start, "\n".join(pending)


class Line(NamedTuple):
    """A command line from :class:`LineSplitter`, or a failure in its place.

    ``error`` is ``None`` for a good line; otherwise ``text`` is empty and
    ``error`` says why the line at ``number`` was dropped.
    """

    number: int
    text: str
    error: str | None = None


class LineSplitter:
    """Incremental splitter for a byte stream (TCP, UDP) with bounded memory.

    ``feed()`` returns the commands completed by a chunk and keeps the partial
    tail. A command longer than ``max_line_bytes`` is not buffered: it is
    skipped up to the next LF outside quotes and reported as a failed
    :class:`Line`. A command that is not valid UTF-8 is reported the same way.
    ``finish()`` returns the tail left when the stream ends without an LF.

    Bytes are split before decoding: LF and ``"`` never occur inside a UTF-8
    multi-byte sequence, so a chunk boundary inside a character is harmless.
    """

    def __init__(self, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self.max_line_bytes = max_line_bytes
        self._buffer = bytearray()
        self._open_quote = False
        self._number = 1  # physical line number of the next byte
        self._start = 1  # physical line number where the current command began
        self._skipped: int | None = None  # bytes of an over-long command, while skipping

    def feed(self, data: bytes | str) -> list[Line]:
        """Consume a chunk and return the commands it completed, in order."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not self._open_quote and self._skipped is None and b'"' not in data:
            lines = self._feed_unquoted(data)
            if lines is not None:
                return lines
        return self._feed_scan(data)

    def _feed_unquoted(self, data: bytes) -> list[Line] | None:
        """``_feed_scan`` for a chunk without quotes (what collectors send nearly always):
        every LF ends a command, so the complete part is decoded and split at once.
        None, having changed nothing, when the chunk needs the byte-by-byte path (no LF,
        a buffered command holding a quoted LF, invalid UTF-8, a line over the limit)."""
        last = data.rfind(b"\n")
        buffered = self._buffer
        if last < 0 or b"\n" in buffered:
            return None
        head = bytes(buffered) + data[:last] if buffered else data[:last]
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError:
            return None
        pieces = text.split("\n")
        limit = self.max_line_bytes
        if len(head) >= limit:  # some line may be over the limit (+1: a CR counts)
            for piece in pieces:
                if len(piece) * 4 >= limit and len(piece.encode("utf-8")) > limit:
                    return None
        buffered.clear()
        out: list[Line] = []
        number = self._start
        for piece in pieces:
            if piece.endswith("\r"):
                piece = piece[:-1]
            if piece and not piece.isspace():
                out.append(Line(number, piece))
            number += 1
        self._number = self._start = number
        self._take(data, last + 1, len(data))
        return out

    def _feed_scan(self, data: bytes) -> list[Line]:
        out: list[Line] = []
        pos = 0
        size = len(data)
        while pos < size:
            lf = data.find(b"\n", pos)
            end = size if lf < 0 else lf
            self._take(data, pos, end)
            if lf < 0:
                break
            pos = lf + 1
            self._number += 1
            if self._open_quote:
                # The LF belongs to a quoted value.
                self._take(data, lf, lf + 1)
                continue
            line = self._complete()
            if line is not None:
                out.append(line)
            self._start = self._number
        return out

    def finish(self) -> list[Line]:
        """Return the command left without a terminating LF at end of stream."""
        line = self._complete()
        self._open_quote = False
        return [] if line is None else [line]

    def _take(self, data: bytes, start: int, end: int) -> None:
        if start == end:
            return
        if data.count(b'"', start, end) % 2:
            self._open_quote = not self._open_quote
        length = end - start
        if self._skipped is not None:
            self._skipped += length
        elif len(self._buffer) + length > self.max_line_bytes:
            # Count instead of keeping: the error names the size, memory stays bounded.
            self._skipped = len(self._buffer) + length
            self._buffer.clear()
        else:
            self._buffer += data[start:end]

    def _complete(self) -> Line | None:
        number = self._start
        if self._skipped is not None:
            size, self._skipped = self._skipped, None
            return Line(number, "", f"line is {size} bytes, the limit is {self.max_line_bytes}")
        raw = bytes(self._buffer)
        self._buffer.clear()
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return Line(number, "", f"line is not valid UTF-8 at byte {exc.start}")
        if _is_blank(text):
            return None
        return Line(number, text)
