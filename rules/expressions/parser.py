"""Pratt parser for the expression language with the precedence of spec §4.2.

High → low: primary (literal, ``( )``, ``a.b``, ``a[i]``, ``f(x)``, ``a.m(x)``),
unary ``!``/``NOT``/``-``, ``* / %``, ``+ -``, ``< <= > >=``,
``= == !=`` / ``[NOT] LIKE`` / ``[NOT] IN`` / ``[NOT] BETWEEN a AND b``,
``AND``/``&&``, ``OR``/``||``, ``c ? a : b`` (right-associative).
"""

from __future__ import annotations

from rules.expressions import ast
from rules.expressions.errors import ExpressionError
from rules.expressions.lexer import Token, tokenize

# The deepest AST we accept: compiled closures call each other recursively, so
# an unbounded depth would end in RecursionError instead of a clear message.
MAX_DEPTH = 120

BP_TERNARY = 10
BP_OR = 20
BP_AND = 30
BP_EQUALITY = 40
BP_RELATIONAL = 50
BP_ADDITIVE = 60
BP_MULTIPLICATIVE = 70
BP_UNARY = 80
BP_POSTFIX = 90

_OP_BP = {
    "?": BP_TERNARY,
    "||": BP_OR,
    "&&": BP_AND,
    "=": BP_EQUALITY,
    "==": BP_EQUALITY,
    "!=": BP_EQUALITY,
    "<": BP_RELATIONAL,
    "<=": BP_RELATIONAL,
    ">": BP_RELATIONAL,
    ">=": BP_RELATIONAL,
    "+": BP_ADDITIVE,
    "-": BP_ADDITIVE,
    "*": BP_MULTIPLICATIVE,
    "/": BP_MULTIPLICATIVE,
    "%": BP_MULTIPLICATIVE,
    ".": BP_POSTFIX,
    "[": BP_POSTFIX,
}
_KEYWORD_BP = {
    "OR": BP_OR,
    "AND": BP_AND,
    "LIKE": BP_EQUALITY,
    "IN": BP_EQUALITY,
    "BETWEEN": BP_EQUALITY,
}


def parse(text: str) -> ast.Node:
    """Parse ``text`` into an AST; raise ``ExpressionError`` with position on bad input."""
    parser = _Parser(text, tokenize(text))
    node = parser.expression(0)
    parser.expect_eof()
    if _depth(node) > MAX_DEPTH:
        raise ExpressionError("expression is nested too deeply", node.pos, text)
    return node


def _describe(tok: Token) -> str:
    if tok.kind == "EOF":
        return "end of expression"
    if tok.kind == "STRING":
        return "string literal"
    return repr(str(tok.value) if tok.value is not None else "null")


class _Parser:
    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.i = 0
        self.nesting = 0

    # -- token helpers -------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, k: int = 1) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != "EOF":
            self.i += 1
        return tok

    def is_op(self, value: str, tok: Token | None = None) -> bool:
        tok = tok or self.tok
        return tok.kind == "OP" and tok.value == value

    def is_kw(self, value: str, tok: Token | None = None) -> bool:
        tok = tok or self.tok
        return tok.kind == "KEYWORD" and tok.value == value

    def error(self, message: str, tok: Token | None = None) -> ExpressionError:
        tok = tok or self.tok
        return ExpressionError(message, tok.pos, self.text)

    def expect_op(self, value: str) -> Token:
        if not self.is_op(value):
            raise self.error(f"expected '{value}' but found {_describe(self.tok)}")
        return self.advance()

    def expect_eof(self) -> None:
        if self.tok.kind != "EOF":
            raise self.error(f"unexpected {_describe(self.tok)}")

    # -- Pratt loop -----------------------------------------------------------
    def left_bp(self) -> int:
        tok = self.tok
        if tok.kind == "OP":
            return _OP_BP.get(tok.value, 0)
        if tok.kind == "KEYWORD":
            if tok.value == "NOT":
                nxt = self.peek()
                if nxt.kind == "KEYWORD" and nxt.value in ("LIKE", "IN", "BETWEEN"):
                    return BP_EQUALITY
                return 0
            return _KEYWORD_BP.get(tok.value, 0)
        return 0

    def expression(self, rbp: int) -> ast.Node:
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise self.error("expression is nested too deeply")
        try:
            left = self.prefix()
            while self.left_bp() > rbp:
                left = self.infix(left)
            return left
        finally:
            self.nesting -= 1

    def prefix(self) -> ast.Node:
        tok = self.advance()
        if tok.kind in ("NUMBER", "STRING", "LITERAL"):
            return ast.Literal(tok.pos, tok.value)
        if tok.kind == "IDENT":
            if self.is_op("("):
                return ast.Call(tok.pos, tok.value, self.arguments())
            return ast.Name(tok.pos, tok.value)
        if tok.kind == "OP":
            if tok.value in ("!", "-"):
                return ast.Unary(tok.pos, tok.value, self.expression(BP_UNARY))
            if tok.value == "(":
                inner = self.expression(0)
                self.expect_op(")")
                return inner
            if tok.value == "[":
                return self.list_or_map(tok)
        if tok.kind == "KEYWORD" and tok.value == "NOT":
            return ast.Unary(tok.pos, "!", self.expression(BP_UNARY))
        if tok.kind == "EOF":
            raise self.error("unexpected end of expression", tok)
        raise self.error(f"unexpected {_describe(tok)}", tok)

    def infix(self, left: ast.Node) -> ast.Node:
        tok = self.advance()
        if tok.kind == "OP":
            op = tok.value
            if op == ".":
                name_tok = self.advance()
                if name_tok.kind not in ("IDENT", "KEYWORD", "LITERAL"):
                    raise self.error("expected a member name after '.'", name_tok)
                name = (
                    str(name_tok.value)
                    if name_tok.kind != "LITERAL"
                    else self.text[name_tok.pos : name_tok.end]
                )
                if self.is_op("("):
                    return ast.MethodCall(name_tok.pos, left, name, self.arguments())
                return ast.Member(name_tok.pos, left, name)
            if op == "[":
                index = self.expression(0)
                self.expect_op("]")
                return ast.Index(tok.pos, left, index)
            if op == "?":
                then = self.expression(0)
                self.expect_op(":")
                otherwise = self.expression(BP_TERNARY - 1)
                return ast.Ternary(tok.pos, left, then, otherwise)
            canonical = {"=": "==", "&&": "&&", "||": "||"}.get(op, op)
            return ast.Binary(tok.pos, canonical, left, self.expression(_OP_BP[op]))
        # keywords
        kw = tok.value
        if kw == "AND":
            return ast.Binary(tok.pos, "&&", left, self.expression(BP_AND))
        if kw == "OR":
            return ast.Binary(tok.pos, "||", left, self.expression(BP_OR))
        negate = False
        if kw == "NOT":
            negate = True
            kw = self.advance().value
        if kw in ("LIKE", "IN"):
            right = self.paren_list_or_operand()
            return ast.Binary(tok.pos, kw, left, right, negate)
        if kw == "BETWEEN":
            low = self.expression(BP_EQUALITY)
            if not self.is_kw("AND") and not self.is_op("&&"):
                raise self.error(f"expected AND in BETWEEN but found {_describe(self.tok)}")
            self.advance()
            high = self.expression(BP_EQUALITY)
            return ast.Between(tok.pos, left, low, high, negate)
        raise self.error(f"unexpected {_describe(tok)}", tok)  # pragma: no cover

    # -- composite pieces -----------------------------------------------------
    def arguments(self) -> tuple[ast.Node, ...]:
        self.expect_op("(")
        args: list[ast.Node] = []
        if self.is_op(")"):
            self.advance()
            return ()
        while True:
            args.append(self.expression(0))
            if self.is_op(","):
                self.advance()
                continue
            self.expect_op(")")
            return tuple(args)

    def paren_list_or_operand(self) -> ast.Node:
        """Right side of IN/LIKE: a parenthesised list is allowed only here."""
        if not self.is_op("("):
            return self.expression(BP_EQUALITY)
        start = self.advance()
        items: list[ast.Node] = []
        if not self.is_op(")"):
            while True:
                items.append(self.expression(0))
                if self.is_op(","):
                    self.advance()
                    continue
                break
        self.expect_op(")")
        return ast.ListLit(start.pos, tuple(items), parenthesised=True)

    def list_or_map(self, start: Token) -> ast.Node:
        if self.is_op("]"):
            self.advance()
            return ast.ListLit(start.pos, ())
        if self.is_op(":") and self.is_op("]", self.peek()):
            self.advance()
            self.advance()
            return ast.MapLit(start.pos, ())
        first = self.expression(0)
        if self.is_op(":"):
            self.advance()
            entries = [(first, self.expression(0))]
            while self.is_op(","):
                self.advance()
                key = self.expression(0)
                self.expect_op(":")
                entries.append((key, self.expression(0)))
            self.expect_op("]")
            return ast.MapLit(start.pos, tuple(entries))
        items = [first]
        while self.is_op(","):
            self.advance()
            items.append(self.expression(0))
        self.expect_op("]")
        return ast.ListLit(start.pos, tuple(items))


def _depth(root: ast.Node) -> int:
    """Height of the AST, computed iteratively so that it cannot overflow the stack."""
    best = 0
    stack: list[tuple[ast.Node, int]] = [(root, 1)]
    while stack:
        node, d = stack.pop()
        best = max(best, d)
        if best > MAX_DEPTH:
            return best
        stack.extend((child, d + 1) for child in _children(node))
    return best


def _children(node: ast.Node) -> list[ast.Node]:
    if isinstance(node, ast.ListLit):
        return list(node.items)
    if isinstance(node, ast.MapLit):
        return [x for pair in node.entries for x in pair]
    if isinstance(node, ast.Member):
        return [node.target]
    if isinstance(node, ast.Index):
        return [node.target, node.index]
    if isinstance(node, ast.Call):
        return list(node.args)
    if isinstance(node, ast.MethodCall):
        return [node.target, *node.args]
    if isinstance(node, ast.Unary):
        return [node.operand]
    if isinstance(node, ast.Binary):
        return [node.left, node.right]
    if isinstance(node, ast.Between):
        return [node.operand, node.low, node.high]
    if isinstance(node, ast.Ternary):
        return [node.cond, node.then, node.otherwise]
    return []
