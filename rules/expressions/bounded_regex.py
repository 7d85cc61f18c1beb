"""User regular expressions (matches, replaceAll, replaceFirst, split), bounded in time.

A rule's text is a user's input, and a backtracking regular expression such as
``(a+)+$`` takes exponential time on a text made to defeat it: one sample would stall
its partition. Patterns run on the ``regex`` library, which reads Java's syntax (the
common subset, plus possessive quantifiers and atomic groups) and stops a match after a
time limit; a pattern over the limit is a rule error naming the pattern, not a stalled
engine.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

import regex

from rules.expressions.errors import EvaluationError

T = TypeVar("T")

# Time one call may take; ordinary patterns on ordinary texts finish in microseconds.
REGEX_TIMEOUT_S = 0.1
MAX_CACHED_PATTERNS = 512


class BoundedRegex:
    """A compiled pattern whose every match gives up after ``REGEX_TIMEOUT_S``."""

    def __init__(self, source: str, compiled: regex.Pattern[str]) -> None:
        self.source = source
        self._compiled = compiled

    def fullmatch(self, text: str) -> bool:
        found = self._run(lambda: self._compiled.fullmatch(text, timeout=REGEX_TIMEOUT_S), text)
        return found is not None

    def sub(self, replacement: str, text: str, count: int = 0) -> str:
        return self._run(
            lambda: self._compiled.sub(replacement, text, count=count, timeout=REGEX_TIMEOUT_S),
            text,
        )

    def split(self, text: str) -> list[str]:
        return self._run(lambda: self._compiled.split(text, timeout=REGEX_TIMEOUT_S), text)

    def _run(self, call: Callable[[], T], text: str) -> T:
        try:
            return call()
        except TimeoutError as exc:
            raise EvaluationError(
                f"regular expression {self.source[:80]!r} took longer than "
                f"{REGEX_TIMEOUT_S * 1000:.0f} ms on a {len(text)}-character text"
            ) from exc


@functools.lru_cache(maxsize=MAX_CACHED_PATTERNS)
def java_regex(pattern: str) -> BoundedRegex:
    """Compile a Java regular expression once; a bad one is a rule error naming it."""
    try:
        return BoundedRegex(pattern, regex.compile(pattern, regex.VERSION0))
    except regex.error as exc:
        raise EvaluationError(f"bad regular expression {pattern!r}: {exc}") from exc
