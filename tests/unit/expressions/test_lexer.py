import pytest

from rules.expressions.errors import ExpressionError
from rules.expressions.lexer import tokenize


def kinds_values(text):
    return [(t.kind, t.value) for t in tokenize(text)[:-1]]


@pytest.mark.parametrize(
    ("text", "value"),
    [("12", 12), ("12L", 12), ("3.14", 3.14), (".5", 0.5), ("1e6", 1e6), ("2.5E-3", 2.5e-3)],
)
def test_it_reads_numbers(text, value):
    assert kinds_values(text) == [("NUMBER", value)]


def test_integer_literals_stay_integers():
    assert isinstance(tokenize("12L")[0].value, int)
    assert isinstance(tokenize("1e6")[0].value, float)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (r"'it\'s'", "it's"),
        (r'"say \"hi\""', 'say "hi"'),
        (r"'a\\b'", "a\\b"),
        (r"'line\nnext\ttab'", "line\nnext\ttab"),
        ("'dq \" inside'", 'dq " inside'),
    ],
)
def test_it_reads_strings_with_escapes(text, value):
    assert kinds_values(text) == [("STRING", value)]


def test_literals_and_case_insensitive_keywords():
    assert kinds_values("true false null and Or nOt like In BETWEEN") == [
        ("LITERAL", True),
        ("LITERAL", False),
        ("LITERAL", None),
        ("KEYWORD", "AND"),
        ("KEYWORD", "OR"),
        ("KEYWORD", "NOT"),
        ("KEYWORD", "LIKE"),
        ("KEYWORD", "IN"),
        ("KEYWORD", "BETWEEN"),
    ]


def test_comments_are_skipped():
    assert kinds_values("1 // one\n + /* two */ 2") == [
        ("NUMBER", 1),
        ("OP", "+"),
        ("NUMBER", 2),
    ]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("tags.docker-host", "docker-host"),
        ("tags.event.user", "event.user"),
        ("entity.tags.app-name", "app-name"),
        ("metric.tags.a.b", "a.b"),
        ("keys.file-system", "file-system"),
        ("properties.os.version", "os.version"),
    ],
)
def test_tag_names_take_the_longest_run(text, name):
    assert tokenize(text)[-2].value == name


def test_a_trailing_method_call_is_not_part_of_the_tag_name():
    values = [t.value for t in tokenize("tags.event.user.size()")[:-1]]
    assert values == ["tags", ".", "event.user", ".", "size", "(", ")"]


def test_tags_method_call_without_dotted_name():
    values = [t.value for t in tokenize("tags.size()")[:-1]]
    assert values == ["tags", ".", "size", "(", ")"]


def test_ordinary_member_names_stop_at_minus():
    values = [t.value for t in tokenize("value.x-1")[:-1]]
    assert values == ["value", ".", "x", "-", 1]


def test_keywords_after_a_dot_are_member_names():
    assert tokenize("x.in")[2].kind == "IDENT"


@pytest.mark.parametrize(
    ("text", "pos"),
    [("'open", 0), ("1 + /* x", 4), ("a # b", 2), ("12abc", 0), ("1e+", 0)],
)
def test_lexical_errors_carry_positions(text, pos):
    with pytest.raises(ExpressionError) as info:
        tokenize(text)
    assert info.value.position == pos


def test_error_text_has_line_and_column():
    with pytest.raises(ExpressionError) as info:
        tokenize("1 +\n  #")
    assert (info.value.line, info.value.column) == (2, 3)
    assert str(info.value).endswith("at line 2, column 3")


def test_non_ascii_digits_are_not_numbers():
    # Found by the fuzz test: str.isdigit() accepts '²', which int() rejects.
    with pytest.raises(ExpressionError, match="malformed number"):
        tokenize("1²")
