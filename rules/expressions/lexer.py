"""Tokens of the expression language (spec §4.1).

Keywords ``AND OR NOT LIKE IN BETWEEN`` are case-insensitive and come out
upper-cased as ``KEYWORD`` tokens; ``true``/``false``/``null`` come out as
``LITERAL`` tokens. After ``tags.``, ``entity.tags.``, ``metric.tags.``,
``keys.`` and ``properties.`` a name is the longest run of
``[A-Za-z0-9_.-]`` (``tags.docker-host``, ``tags.event.user``) unless the run
ends in ``.m(`` which is a method call (``tags.event.user.size()``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rules.expressions.errors import ExpressionError

KEYWORDS = frozenset({"AND", "OR", "NOT", "LIKE", "IN", "BETWEEN"})
LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None}

# Longest operators first so that "==" wins over "=".
OPERATORS = (
    "==", "!=", "<=", ">=", "&&", "||",
    "=", "<", ">", "!", "+", "-", "*", "/", "%", "?", ":", "(", ")", "[", "]", ",", ".",
)  # fmt: skip

ESCAPES = {"'": "'", '"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "/": "/"}

# ASCII only: str.isdigit() accepts superscripts such as "²" that int() rejects.
_DIGITS = frozenset("0123456789")
_TAG_CONTAINERS = frozenset({"tags", "keys", "properties"})
_NAME_RUN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


@dataclass(frozen=True, slots=True)
class Token:
    """One token: ``kind`` is NUMBER, STRING, LITERAL, IDENT, KEYWORD, OP or EOF."""

    kind: str
    value: Any
    pos: int
    end: int


def _is_ident_start(ch: str) -> bool:
    return ch.isalpha() or ch in "_$"


def _is_ident_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_$"


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens ending with an EOF token.

    Raises ``ExpressionError`` with the position of the first bad character.
    """
    tokens: list[Token] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if text.startswith("//", i):
            nl = text.find("\n", i)
            i = n if nl < 0 else nl + 1
            continue
        if text.startswith("/*", i):
            close = text.find("*/", i + 2)
            if close < 0:
                raise ExpressionError("unterminated comment", i, text)
            i = close + 2
            continue
        if _is_ident_start(ch) and _after_tag_container(tokens, i):
            tok, i = _lex_tag_name(text, i)
            tokens.append(tok)
            continue
        if ch in _DIGITS or (
            ch == "." and i + 1 < n and text[i + 1] in _DIGITS and not _ends_operand(tokens)
        ):
            tok, i = _lex_number(text, i)
            tokens.append(tok)
            continue
        if ch in "'\"":
            tok, i = _lex_string(text, i)
            tokens.append(tok)
            continue
        if _is_ident_start(ch):
            start = i
            while i < n and _is_ident_char(text[i]):
                i += 1
            word = text[start:i]
            after_dot = bool(tokens) and tokens[-1].kind == "OP" and tokens[-1].value == "."
            if after_dot:
                # A member name is never a keyword: entity.label, x.in ...
                tokens.append(Token("IDENT", word, start, i))
            elif word.upper() in KEYWORDS:
                tokens.append(Token("KEYWORD", word.upper(), start, i))
            elif word in LITERALS:
                tokens.append(Token("LITERAL", LITERALS[word], start, i))
            else:
                tokens.append(Token("IDENT", word, start, i))
            continue
        for op in OPERATORS:
            if text.startswith(op, i):
                tokens.append(Token("OP", op, i, i + len(op)))
                i += len(op)
                break
        else:
            raise ExpressionError(f"unexpected character {ch!r}", i, text)
    tokens.append(Token("EOF", None, n, n))
    return tokens


def _ends_operand(tokens: list[Token]) -> bool:
    """Whether the previous token ends an operand, so a following '.' is member access."""
    if not tokens:
        return False
    last = tokens[-1]
    if last.kind in ("IDENT", "NUMBER", "STRING", "LITERAL"):
        return True
    return last.kind == "OP" and last.value in (")", "]")


def _after_tag_container(tokens: list[Token], pos: int) -> bool:
    """True right after ``tags.``/``entity.tags.``/``metric.tags.``/``keys.``/``properties.``."""
    if len(tokens) < 2:
        return False
    dot, container = tokens[-1], tokens[-2]
    if not (dot.kind == "OP" and dot.value == "." and dot.end == pos):
        return False
    if container.kind != "IDENT" or container.value not in _TAG_CONTAINERS:
        return False
    if container.end != dot.pos:
        return False
    before = tokens[-3] if len(tokens) >= 3 else None
    if before is None or not (before.kind == "OP" and before.value == "."):
        return True  # top-level tags. / keys. / properties.
    owner = tokens[-4] if len(tokens) >= 4 else None
    return (
        container.value == "tags"
        and owner is not None
        and owner.kind == "IDENT"
        and owner.value in ("entity", "metric")
        and (len(tokens) < 5 or not (tokens[-5].kind == "OP" and tokens[-5].value == "."))
    )


def _lex_tag_name(text: str, start: int) -> tuple[Token, int]:
    i = start
    n = len(text)
    while i < n and text[i] in _NAME_RUN:
        i += 1
    run = text[start:i]
    # A trailing ".m(" is a method call on the tag value, not part of the name.
    j = i
    while j < n and text[j].isspace():
        j += 1
    if j < n and text[j] == "(" and "." in run:
        head, _, tail = run.rpartition(".")
        if tail and _is_ident_start(tail[0]) and all(_is_ident_char(c) for c in tail):
            run = head
    run = run.rstrip(".")
    end = start + len(run)
    return Token("IDENT", run, start, end), end


def _lex_number(text: str, start: int) -> tuple[Token, int]:
    i = start
    n = len(text)
    while i < n and text[i] in _DIGITS:
        i += 1
    is_float = False
    if i < n and text[i] == "." and i + 1 < n and text[i + 1] in _DIGITS:
        is_float = True
        i += 1
        while i < n and text[i] in _DIGITS:
            i += 1
    elif i < n and text[i] == "." and not (i + 1 < n and _is_ident_start(text[i + 1])):
        # "3." is a double in Java; "3.foo" would be member access on a number.
        is_float = True
        i += 1
    if i < n and text[i] in "eE":
        j = i + 1
        if j < n and text[j] in "+-":
            j += 1
        if j < n and text[j] in _DIGITS:
            while j < n and text[j] in _DIGITS:
                j += 1
            is_float = True
            i = j
        else:
            raise ExpressionError("malformed number exponent", start, text)
    literal = text[start:i]
    if i < n and text[i] in "lL" and not is_float:
        i += 1
    elif i < n and text[i] in "dDfF":
        is_float = True
        i += 1
    if i < n and _is_ident_char(text[i]):
        raise ExpressionError(f"malformed number {text[start : i + 1]!r}", start, text)
    value: int | float = float(literal) if is_float else int(literal)
    return Token("NUMBER", value, start, i), i


def _lex_string(text: str, start: int) -> tuple[Token, int]:
    quote = text[start]
    i = start + 1
    n = len(text)
    out: list[str] = []
    while i < n:
        ch = text[i]
        if ch == quote:
            return Token("STRING", "".join(out), start, i + 1), i + 1
        if ch == "\\" and i + 1 < n:
            nxt = text[i + 1]
            if nxt in ESCAPES:
                out.append(ESCAPES[nxt])
                i += 2
                continue
            if nxt == "u" and i + 5 < n + 0 and _is_hex(text[i + 2 : i + 6]):
                out.append(chr(int(text[i + 2 : i + 6], 16)))
                i += 6
                continue
            # Unknown escapes are kept verbatim: authors write regexes like '\d+'.
            out.append(ch)
            out.append(nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    raise ExpressionError("unterminated string", start, text)


def _is_hex(s: str) -> bool:
    return len(s) == 4 and all(c in "0123456789abcdefABCDEF" for c in s)
