"""The rule expression language (spec §4): lexer, parser, AST, compiler to closures.

Public API::

    compile_expression(text, kind) -> CompiledExpression  # condition|filter|variable|template
    compile_variables(["EXPR AS name", ...]) -> [(name, CompiledExpression)]
    CompiledExpression.evaluate(ctx) / .evaluate_bool(ctx)
"""

from rules.expressions.compiler import CompiledExpression, compile_expression, compile_variables
from rules.expressions.datetime_value import DateTime
from rules.expressions.errors import CancelAction, EvaluationError, ExpressionError
from rules.expressions.formatting import (
    format_duration,
    format_duration_interval,
    format_value,
    round_significant,
)
from rules.expressions.values import EntityValue, MetricValue, Record

__all__ = [
    "CancelAction",
    "CompiledExpression",
    "DateTime",
    "EntityValue",
    "EvaluationError",
    "ExpressionError",
    "MetricValue",
    "Record",
    "compile_expression",
    "compile_variables",
    "format_duration",
    "format_duration_interval",
    "format_value",
    "round_significant",
]
