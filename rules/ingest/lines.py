"""Split network-command input into command lines: the one splitter of TCP and HTTP.

A command ends at an LF outside double quotes (spec §1.2 rules 1 and 3); a trailing
CR before that LF is dropped; blank lines are skipped. A quoted value may hold LF,
so a command can span several physical lines. Because ``""`` (an escaped quote)
toggles the quote state twice, the quote state is the parity of the ``"``
characters seen since the command started.

An unbalanced quote must not swallow the commands after it, so a quoted value
spans lines only up to a line that starts a command: an LF inside quotes followed
by ``series ``, ``message ``, ``property `` or ``debug `` ends the command there
(its quote was stray, and the parser rejects it), and the next command starts. A
quoted value whose continuation line begins with one of those words cannot be
sent; that is the price of one stray ``"`` costing one line, on TCP as on HTTP.

A ``"`` that opens a quote in the middle of an unquoted value is treated the
same way here and rejected by the command parser, so both agree on where a
command ends.

Line numbers are physical: the 1-based number of the line where a command
starts, counting blank lines and the continuation lines of multi-line
commands, so an operator can find the command in the file that was sent.
"""

from __future__ import annotations

from typing import NamedTuple

MAX_LINE_BYTES = 128 * 1024
# Words that start a command (and ``debug``, the TCP reply prefix), with their space.
COMMAND_STARTS = (b"series ", b"message ", b"property ", b"debug ")
_LOOKAHEAD = max(map(len, COMMAND_STARTS))


def _is_blank(text: str) -> bool:
    # Lines of spaces only are as empty as an empty line to a human reader.
    return not text or text.isspace()


def _starts_command(data: bytes, pos: int) -> bool | None:
    """Whether ``data[pos:]`` begins with a command word; None when the bytes there
    are too few to tell (a proper prefix of a word, or nothing yet)."""
    head = data[pos : pos + _LOOKAHEAD]
    if head.startswith(COMMAND_STARTS):
        return True
    if len(head) < _LOOKAHEAD and any(word.startswith(head) for word in COMMAND_STARTS):
        return None
    return False


class Line(NamedTuple):
    """A command line from :class:`LineSplitter`, or a failure in its place.

    ``error`` is ``None`` for a good line; otherwise ``text`` is empty and
    ``error`` says why the line at ``number`` was dropped.
    """

    number: int
    text: str
    error: str | None = None


class LineSplitter:
    """Incremental splitter for a byte stream (a TCP connection, an HTTP body) with
    bounded memory.

    ``feed()`` returns the commands completed by a chunk and keeps the partial
    tail. A command longer than ``max_line_bytes`` is not buffered: it is
    skipped up to where it ends (see the module doc) and reported as a failed
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
        # An LF inside quotes and the few bytes after it, while they cannot yet tell
        # whether a command starts there (see _starts_command).
        self._carry = b""

    def feed(self, data: bytes | str) -> list[Line]:
        """Consume a chunk and return the commands it completed, in order."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not (self._open_quote or self._carry) and self._skipped is None and b'"' not in data:
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
        if self._carry:
            data, self._carry = self._carry + data, b""
        out: list[Line] = []
        pos = 0
        size = len(data)
        while pos < size:
            lf = data.find(b"\n", pos)
            end = size if lf < 0 else lf
            self._take(data, pos, end)
            if lf < 0:
                break
            if self._open_quote:
                starts = _starts_command(data, lf + 1)
                if starts is None:
                    self._carry = data[lf:]
                    break
                if not starts:
                    # The LF belongs to a quoted value.
                    self._number += 1
                    self._take(data, lf, lf + 1)
                    pos = lf + 1
                    continue
                # A command starts on the next line: this one's quote was stray.
            pos = lf + 1
            self._number += 1
            line = self._complete()
            if line is not None:
                out.append(line)
            self._start = self._number
        return out

    def finish(self) -> list[Line]:
        """Return the command left without a terminating LF at end of stream."""
        if self._carry:
            # No command word followed: the LF and the bytes after it were quoted text.
            carry, self._carry = self._carry, b""
            self._take(carry, 0, len(carry))
        line = self._complete()
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
        self._open_quote = False
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


def split_lines(data: bytes | str) -> list[Line]:
    """Every command of a whole body, as :class:`LineSplitter` splits a stream of it."""
    splitter = LineSplitter()
    return splitter.feed(data) + splitter.finish()
