"""Errors of the expression language.

Compile-time problems (syntax, unknown functions, wrong arity, statistical
functions in filters) raise ``ExpressionError`` with the 0-based offset of the
offending text so that the save/import page can point at it. Run-time problems
(a non-boolean operand of ``&&``, a missing ``value('m')``...) raise
``EvaluationError``; the engine turns those into Rule Errors.
"""

from __future__ import annotations


class ExpressionLanguageError(Exception):
    """Base of every error this package raises on purpose."""


class ExpressionError(ExpressionLanguageError):
    """A compile-time error at ``position`` (0-based offset into ``source``).

    ``line`` and ``column`` are 1-based and computed from ``source`` when it is
    known; ``str()`` reads "unknown function 'foo' at line 1, column 5".
    """

    def __init__(self, message: str, position: int, source: str | None = None) -> None:
        self.message = message
        self.position = max(0, position)
        self.source = source
        self.line, self.column = _line_column(source, self.position)
        super().__init__(str(self))

    def with_source(self, source: str) -> ExpressionError:
        """Return the same error with line/column computed against ``source``."""
        return type(self)(self.message, self.position, source)

    def __str__(self) -> str:
        return f"{self.message} at line {self.line}, column {self.column}"


class EvaluationError(ExpressionLanguageError):
    """A run-time error while evaluating a compiled expression."""


class CancelAction(Exception):
    """Raised by ``cancelAction()``: the renderer cancels this send (not an error).

    Deliberately not an ``ExpressionLanguageError`` so that code catching
    evaluation failures does not swallow it.
    """


def _line_column(source: str | None, position: int) -> tuple[int, int]:
    if not source:
        return 1, position + 1
    before = source[:position]
    line = before.count("\n") + 1
    column = position - (before.rfind("\n") + 1) + 1
    return line, column
