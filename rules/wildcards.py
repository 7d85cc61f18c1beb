"""ATSD wildcard patterns (``*`` any run, ``?`` one character), matched in linear time.

Every place where a pattern meets a name uses this module: rule entity filters and
``rule_open`` (case-insensitive), the expression language's ``LIKE``, ``likeAny`` and
``matches`` (case-sensitive, spec §4.2), and the filters of the pages and the Data API,
which hand the pattern to the database as an escaped SQL ``LIKE`` (``sql_like``).

Semantics, as in ATSD: the pattern covers the whole text; ``*`` matches any run of
characters, the empty run and line breaks included; ``?`` matches exactly one
character; every other character stands for itself. There is no escape character and
no character class: ``\\``, ``[``, ``.``, ``%`` and ``_`` are literal.

Why matching cannot blow up: between its ``*``s a pattern is a row of fixed-length
pieces (literals and ``?``). Placing each piece at the leftmost place where it fits
after the previous one is always right, since a later place only leaves less text for
the rest; so no placement is ever revisited. The compiled form says exactly that: each
middle piece sits in an atomic group ``(?>.*?piece)`` that the regex engine cannot
backtrack into, which bounds the work by len(text) x len(pattern) and keeps it linear
for ordinary patterns (a translation of every ``*`` into ``.*`` instead backtracks
through every way of splitting the text, exponential in the number of ``*``). Common
shapes (exact name, prefix, suffix, substring) skip the regex for ``str`` methods.

Patterns longer than ``max_length()`` (setting ``WILDCARD_PATTERN_MAX_LENGTH``, applied
when the app starts) are refused with ``PatternTooLong``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from operator import methodcaller

Matcher = Callable[[str], bool]

_STAR_RUNS = re.compile(r"\*{2,}")
_max_length: int | None = None
# Matchers by pattern, case-sensitive and not: a hit is one dict lookup, which is what
# LIKE with a pattern known only at run time pays per evaluation. Only patterns that
# passed the length check get in; a new limit empties them.
_CACHE_SIZE = 4096
_cased: dict[str, Matcher] = {}
_uncased: dict[str, Matcher] = {}


class PatternTooLong(ValueError):
    """A pattern longer than the configured limit; the message names the setting."""


def set_max_length(limit: int | None) -> None:
    """Refuse patterns longer than ``limit`` characters from now on (None: no limit)."""
    global _max_length
    _max_length = limit
    _cased.clear()
    _uncased.clear()


def max_length() -> int | None:
    """The current pattern length limit (None: no limit)."""
    return _max_length


def check_length(pattern: str) -> str:
    """``pattern`` itself, or ``PatternTooLong`` when it is longer than the limit."""
    limit = _max_length
    if limit is not None and len(pattern) > limit:
        preview = pattern[:40] + ("…" if len(pattern) > 40 else "")
        raise PatternTooLong(
            f"pattern {preview!r} is {len(pattern)} characters long; the limit is {limit} "
            "(WILDCARD_PATTERN_MAX_LENGTH)"
        )
    return pattern


def has_wildcards(pattern: str) -> bool:
    """Whether ``pattern`` holds ``*`` or ``?`` (else it names one text exactly)."""
    return "*" in pattern or "?" in pattern


def collapse_stars(pattern: str) -> str:
    """``pattern`` with every run of ``*`` written as one ``*`` (same meaning)."""
    return _STAR_RUNS.sub("*", pattern) if "**" in pattern else pattern


def _piece(piece: str) -> str:
    return "".join("." if c == "?" else re.escape(c) for c in piece)


def regex_source(pattern: str) -> str:
    """The backtracking-free regex of ``pattern`` (for ``re.match`` with ``re.DOTALL``):
    the first piece anchored at the start, middle pieces in atomic groups, the last
    piece anchored at the end."""
    first, *rest = collapse_stars(pattern).split("*")
    if not rest:
        return _piece(first) + r"\Z"
    *middle, last = rest
    atomic = "".join(f"(?>.*?{_piece(p)})" for p in middle if p)
    return f"{_piece(first)}{atomic}.*{_piece(last)}" + r"\Z"


def _always(text: str) -> bool:
    return True


def _regex_matcher(source: str, ignore_case: bool) -> Matcher:
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    match = re.compile(source, flags).match

    def matches(text: str) -> bool:
        return match(text) is not None

    return matches


def _compile(pattern: str, ignore_case: bool) -> Matcher:
    pattern = collapse_stars(pattern)
    if pattern == "*":
        return _always
    if not ignore_case and "?" not in pattern:
        pieces = pattern.split("*")
        if len(pieces) == 1:
            return pattern.__eq__
        if len(pieces) == 2:
            head, tail = pieces
            if not tail:
                return methodcaller("startswith", head)
            if not head:
                return methodcaller("endswith", tail)
            least = len(head) + len(tail)

            def head_and_tail(text: str) -> bool:
                return len(text) >= least and text.startswith(head) and text.endswith(tail)

            return head_and_tail
        if len(pieces) == 3 and not pieces[0] and not pieces[2]:
            return methodcaller("__contains__", pieces[1])
    return _regex_matcher(regex_source(pattern), ignore_case)


def matcher(pattern: str, *, ignore_case: bool = False) -> Matcher:
    """A function telling whether a text matches ``pattern`` (compiled once, cached).

    Raises ``PatternTooLong`` above the length limit.
    """
    cache = _uncased if ignore_case else _cased
    found = cache.get(pattern)
    if found is None:
        found = _compile(check_length(pattern), ignore_case)
        if len(cache) >= _CACHE_SIZE:
            cache.clear()  # bounded: patterns may come from data
        cache[pattern] = found
    return found


@functools.lru_cache(maxsize=1024)
def _compile_any(patterns: tuple[str, ...], ignore_case: bool) -> Matcher:
    if len(patterns) == 1:
        return matcher(patterns[0], ignore_case=ignore_case)
    if any(collapse_stars(p) == "*" for p in patterns):
        return _always
    # One regex for all: alternatives of backtracking-free branches stay bounded by
    # len(text) x the patterns' total length.
    return _regex_matcher("|".join(f"(?:{regex_source(p)})" for p in patterns), ignore_case)


def any_matcher(patterns: Iterable[str], *, ignore_case: bool = False) -> Matcher | None:
    """A function telling whether a text matches any of ``patterns`` (blank ones
    skipped); None when there are none. Raises ``PatternTooLong``."""
    kept = tuple(check_length(p) for p in patterns if p)
    if not kept:
        return None
    return _compile_any(kept, ignore_case)


def sql_like(pattern: str) -> str:
    """``pattern`` as a SQL ``LIKE`` pattern whose escape character is ``\\``: ``*`` →
    ``%``, ``?`` → ``_``, and a literal ``\\``, ``%`` or ``_`` escaped."""
    out = []
    for c in collapse_stars(pattern):
        if c == "*":
            out.append("%")
        elif c == "?":
            out.append("_")
        elif c in "\\%_":
            out.append("\\" + c)
        else:
            out.append(c)
    return "".join(out)
