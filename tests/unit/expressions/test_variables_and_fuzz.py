"""compile_variables, kinds, and robustness against garbage input."""

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.expressions.compiler import compile_expression, compile_variables
from rules.expressions.errors import EvaluationError, ExpressionError
from tests.unit.expressions.doubles import DictContext


def test_compile_variables_splits_on_the_last_as():
    result = compile_variables(["value * 2 AS doubled", "'a as b' + 'AS' as label"])
    assert [name for name, _ in result] == ["doubled", "label"]
    assert result[0][1].evaluate(DictContext({"value": 2})) == 4
    assert result[1][1].evaluate(DictContext()) == "a as bAS"
    assert result[0][1].kind == "variable"


def test_variable_errors_name_the_variable():
    with pytest.raises(ExpressionError, match="variable 'bad': unknown function 'nope'"):
        compile_variables(["1 AS ok", "nope(1) AS bad"])
    with pytest.raises(ExpressionError, match="expected 'expression AS name'"):
        compile_variables(["value * 2"])
    with pytest.raises(ExpressionError, match="invalid variable name"):
        compile_variables(["1 AS 2x"])
    with pytest.raises(ExpressionError, match="defined twice"):
        compile_variables(["1 AS a", "2 AS a"])


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown expression kind"):
        compile_expression("1", "bogus")


def test_evaluate_bool_requires_a_boolean_result():
    assert compile_expression("1 < 2", "condition").evaluate_bool(DictContext()) is True
    with pytest.raises(EvaluationError, match="must be boolean"):
        compile_expression("1 + 2", "condition").evaluate_bool(DictContext())


def test_unexpected_python_errors_become_evaluation_errors():
    with pytest.raises(EvaluationError, match="IndexError") as info:
        compile_expression("'abc'.charAt(10)", "condition").evaluate(DictContext())
    assert isinstance(info.value.__cause__, IndexError)


def test_no_eval_exec_or_compile_calls_in_the_package():
    """Design invariant 4: user text is never run as Python."""
    import ast
    import pathlib

    import rules.expressions

    banned = {"eval", "exec", "compile", "__import__"}
    root = pathlib.Path(rules.expressions.__file__).parent
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text())
        calls = [
            node.func.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in banned
        ]
        assert calls == [], path


ALPHABET = st.sampled_from(
    [
        *"abcxyz019 .,:;?!=<>+-*/%()[]{}'\"\\\n\t_$@#&|",
        "AND",
        "OR",
        "NOT",
        "LIKE",
        "IN",
        "BETWEEN",
        "tags.",
        "avg(",
        "null",
        "1e",
        "/*",
        "//",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(ALPHABET, max_size=40).map("".join))
def test_compile_raises_only_expression_error(text):
    for kind in ("condition", "filter"):
        try:
            compiled = compile_expression(text, kind)
        except ExpressionError:
            continue
        with contextlib.suppress(EvaluationError):
            compiled.evaluate(DictContext({"a": 1, "x": "s"}))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_random_unicode_raises_only_expression_error(text):
    with contextlib.suppress(ExpressionError):
        compile_expression(text, "template")
