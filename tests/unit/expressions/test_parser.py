import pytest

from rules.expressions import ast
from rules.expressions.compiler import compile_expression
from rules.expressions.errors import ExpressionError
from rules.expressions.parser import parse

from .helpers import ev


def shape(node):
    """A compact s-expression of the AST for precedence assertions."""
    if isinstance(node, ast.Literal):
        return node.value
    if isinstance(node, ast.Name):
        return node.name
    if isinstance(node, ast.Unary):
        return (node.op, shape(node.operand))
    if isinstance(node, ast.Binary):
        op = ("NOT " if node.negate else "") + node.op
        return (op, shape(node.left), shape(node.right))
    if isinstance(node, ast.Between):
        return ("BETWEEN", shape(node.operand), shape(node.low), shape(node.high))
    if isinstance(node, ast.Ternary):
        return ("?", shape(node.cond), shape(node.then), shape(node.otherwise))
    if isinstance(node, ast.Member):
        return (".", shape(node.target), node.name)
    if isinstance(node, ast.Index):
        return ("[]", shape(node.target), shape(node.index))
    if isinstance(node, ast.Call):
        return (node.name, *[shape(a) for a in node.args])
    if isinstance(node, ast.MethodCall):
        return ("." + node.name, shape(node.target), *[shape(a) for a in node.args])
    if isinstance(node, ast.ListLit):
        return ["list", *[shape(i) for i in node.items]]
    if isinstance(node, ast.MapLit):
        return ["map", *[(shape(k), shape(v)) for k, v in node.entries]]
    raise AssertionError(node)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a + b * c", ("+", "a", ("*", "b", "c"))),
        ("a - b - c", ("-", ("-", "a", "b"), "c")),
        ("-a * b", ("*", ("-", "a"), "b")),
        ("!a.b", ("!", (".", "a", "b"))),
        ("a + 1 > b", (">", ("+", "a", 1), "b")),
        ("a < b == c", ("==", ("<", "a", "b"), "c")),
        ("a = b AND c != d", ("&&", ("==", "a", "b"), ("!=", "c", "d"))),
        ("a OR b AND c", ("||", "a", ("&&", "b", "c"))),
        ("a || b && c", ("||", "a", ("&&", "b", "c"))),
        ("a ? b : c ? d : e", ("?", "a", "b", ("?", "c", "d", "e"))),
        ("a || b ? 1 : 2", ("?", ("||", "a", "b"), 1, 2)),
        ("x BETWEEN 1 AND 5 AND y", ("&&", ("BETWEEN", "x", 1, 5), "y")),
        ("x NOT LIKE 'a*'", ("NOT LIKE", "x", "a*")),
        ("x NOT IN ('a', 'b')", ("NOT IN", "x", ["list", "a", "b"])),
        ("x in [1, 2] or y", ("||", ("IN", "x", ["list", 1, 2]), "y")),
        ("['CA': 0.8]['CA']", ("[]", ["map", ("CA", 0.8)], "CA")),
        ("f(1, g(2)).h(3)[0]", ("[]", (".h", ("f", 1, ("g", 2)), 3), 0)),
        ("tags['mount-point']", ("[]", "tags", "mount-point")),
        ("NOT a", ("!", "a")),
        ("(a + b) * c", ("*", ("+", "a", "b"), "c")),
    ],
)
def test_precedence(text, expected):
    assert shape(parse(text)) == expected


def test_empty_list_and_map():
    assert shape(parse("[]")) == ["list"]
    assert shape(parse("[:]")) == ["map"]


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("a +", 3, "unexpected end"),
        ("(a + b", 6, "expected ')'"),
        ("a b", 2, "unexpected 'b'"),
        ("(1, 2)", 2, "expected ')'"),
        ("x BETWEEN 1 OR 2", 12, "expected AND"),
        ("f(1,", 4, "unexpected end"),
        ("[1, 2", 5, "expected ']'"),
        ("a.", 2, "member name"),
    ],
)
def test_syntax_errors_carry_positions(text, position, fragment):
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert info.value.position == position
    assert fragment in info.value.message


def test_unknown_function_error_position():
    with pytest.raises(ExpressionError) as info:
        compile_expression("avg() + foo(1)", "condition")
    assert info.value.position == 8
    assert str(info.value) == "unknown function 'foo' at line 1, column 9"


def test_unknown_function_on_second_line():
    with pytest.raises(ExpressionError) as info:
        compile_expression("value > 1 &&\n  bar()", "condition")
    assert (info.value.line, info.value.column) == (2, 3)


def test_wrong_arity_is_a_compile_error():
    with pytest.raises(ExpressionError, match="takes 1 to 2 arguments, got 3"):
        compile_expression("percentile(1, 2, 3)", "condition")


def test_unknown_method_is_a_compile_error():
    with pytest.raises(ExpressionError, match="unknown method 'frobnicate'"):
        compile_expression("tags.frobnicate()", "condition")


def test_deep_nesting_is_an_expression_error():
    with pytest.raises(ExpressionError, match="nested too deeply"):
        compile_expression("(" * 500 + "1" + ")" * 500, "condition")
    with pytest.raises(ExpressionError, match="nested too deeply"):
        compile_expression(" + ".join(["1"] * 1000), "condition")


def test_moderate_nesting_evaluates():
    assert ev("(" * 50 + "1" + ")" * 50) == 1
    assert ev(" + ".join(["1"] * 100)) == 100


def test_empty_expression_is_an_error():
    with pytest.raises(ExpressionError, match="empty expression"):
        compile_expression("  ", "condition")
