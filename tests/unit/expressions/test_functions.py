"""One test (at least) per registered function of spec §4.6: the tests document them."""

import math
import pathlib
import re

import pytest

from rules.expressions.errors import CancelAction, EvaluationError
from rules.expressions.functions import REGISTRY
from tests.unit.expressions.doubles import DictContext, ListWindow

from .helpers import ev

NOW = 1_515_511_420_000  # 2018-01-09T15:23:40Z


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("abs(-2.5)", 2.5),
        ("ceil(1.2)", 2),
        ("floor(1.8)", 1),
        ("round(2.5)", 3),
        ("round(-2.5)", -3),
        ("round(3.14159, 2)", 3.14),
        ("round(2.675, 2)", 2.68),
        ("pow(2, 10)", 1024),
        ("sqrt(16)", 4),
        ("exp(0)", 1),
        ("log(1)", 0),
        ("log10(1000)", 3),
        ("mod(7, 3)", 1),
        ("mod(-7, 3)", -1),
        ("signum(-3)", -1),
    ],
)
def test_math(text, expected):
    assert ev(text) == pytest.approx(expected)


def test_math_edge_cases_return_nan():
    assert math.isnan(ev("sqrt(-1)"))
    assert math.isnan(ev("log(-1)"))
    assert ev("log10(0)") == -math.inf


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("upper('abc')", "ABC"),
        ("lower('ABC')", "abc"),
        ("upper(null)", ""),
        ("truncate('abcdef', 3)", "abc"),
        ("abbreviate('abcdefghij', 6)", "abc..."),
        ("abbreviate('abc', 6)", "abc"),
        ("startsWith('abc', 'ab')", True),
        ("startsWith(null, 'ab')", False),
        ("endsWith('abc', 'bc')", True),
        ("ifEmpty('', 'x')", "x"),
        ("ifEmpty(null, 'x')", "x"),
        ("ifEmpty('a', 'x')", "a"),
        ("coalesce([null, '', 'b', 'c'])", "b"),
        ("coalesce(null, 'y')", "y"),
        ("replace('a-b-c', '-', '+')", "a+b+c"),
        ("keepAfter('a/b/c', '/')", "b/c"),
        ("keepAfterLast('a/b/c', '/')", "c"),
        ("keepBefore('a/b/c', '/')", "a"),
        ("keepBeforeLast('a/b/c', '/')", "a/b"),
        ("keepAfter('abc', '/')", "abc"),
        ("removeBeginning('/dev/sda', '/dev/')", "sda"),
        ("removeEnding('disk.log', '.log')", "disk"),
        ("split('a,b,,c', ',')", ["a", "b", "", "c"]),
        ("list(' a, b ,,c')", ["a", "b", "c"]),
        ("list('a;b', ';')", ["a", "b"]),
        ("capFirst('hello world')", "Hello world"),
        ("capitalize('hello big world')", "Hello Big World"),
        ("urlencode('a b&c')", "a+b%26c"),
        ("jsonencode('say \"hi\"\\n')", 'say \\"hi\\"\\n'),
        ("htmlDecode('&lt;b&gt; &amp;')", "<b> &"),
        ("unquote('\"x\"')", "x"),
        ("length('abc')", 3),
        ("length(null)", 0),
        ("indexOf('abcabc', 'c')", 2),
        ("indexOf('abcabc', 'c', 3)", 5),
        ("concat('a', 1, null, 'b')", "a1b"),
        ("concatLines('a', '', 'b')", "a\nb"),
    ],
)
def test_text(text, expected):
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("likeAny('nurswgvml007', ['abc*', 'nurs*'])", True),
        ("likeAny('x', ['a*'])", False),
        ("matches('nurs*', ['abc', 'nurswgvml007'])", True),
        ("excludeKeys(['a': 1, 'b': 2], ['a'])", {"b": 2}),
        ("mergeMaps([['a': 1], ['a': 2, 'b': 3]])", {"a": 2, "b": 3}),
        ("createMap()", {}),
        ("createMap('k1=v1, k2=v2')", {"k1": "v1", "k2": "v2"}),
        ("createMap(['k', 1])", {"k": 1}),
        ("copyMap(['a': 1])", {"a": 1}),
        ("copyList([1, 2])", [1, 2]),
    ],
)
def test_collections(text, expected):
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("toNumber('12.5')", 12.5),
        ("toNumber(3)", 3.0),
        ("toBoolean('TRUE')", True),
        ("toBoolean('no')", False),
        ("toBoolean(1)", True),
        ("toLong('12.9')", 12),
        ("toLong(-3.5)", -3),
        ("trim_zero('5.500')", "5.5"),
        ("trim_zero(3.0)", "3"),
        ("formatNumber(1234.56, '#,##0.0')", "1,234.6"),
        ("formatNumber(0.5, '0.00')", "0.50"),
        ("formatNumber(1234567, '#,##0')", "1,234,567"),
        ("formatNumber(0.256, '#.#%')", "25.6%"),
        ("formatBytes(512, true)", "512 B"),
        ("formatBytes(1500, true)", "1.5 kB"),
        ("formatBytes(1536, false)", "1.5 KiB"),
        ("formatBytes(1073741824)", "1.0 GiB"),
        ("formatBytes(2500000, true)", "2.5 MB"),
        ("convert(20480, 'Ki')", 20.0),
        ("convert(2000000, 'M')", 2.0),
    ],
)
def test_conversion(text, expected):
    assert ev(text) == expected


def test_to_number_of_text_is_nan():
    assert math.isnan(ev("toNumber('abc')"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("date_format(1515511420000)", "2018-01-09T15:23:40.000Z"),
        ("date_format(now, 'yyyy-MM-dd HH:mm:ss')", "2018-01-09 15:23:40"),
        ("date_format(now, 'yyyy-MM-dd HH:mm', 'Europe/Berlin')", "2018-01-09 16:23"),
        ("date_format(now, 'EEE, dd MMM yyyy hh:mm a z')", "Tue, 09 Jan 2018 03:23 PM UTC"),
        ("date_parse('2018-01-09 15:23:40', 'yyyy-MM-dd HH:mm:ss').millis", NOW),
        ("date_parse('2018-01-09T15:23:40Z').millis", NOW),
        ("to_datetime(1515511420000).hourOfDay", 15),
        ("to_datetime(1515511420000, 'Asia/Tokyo').hourOfDay", 0),
        ("milliseconds('2018-01-09T15:23:40Z')", NOW),
        ("seconds('2018-01-09T15:23:40Z')", NOW // 1000),
        ("elapsedTime(1515511410000)", 10_000),
        ("elapsedTime(1000, 3000)", 2000),
        ("elapsedTime(null)", 9223372036854775807),
        ("elapsed_minutes(1515511300000)", 2.0),
        ("formatInterval(500)", "0s"),
        ("formatInterval(3661000)", "1h 1m 1s"),
        ("formatIntervalShort(3661000)", "1h 1m"),
    ],
)
def test_dates(text, expected):
    assert ev(text, now_ms=NOW) == expected


def test_format_interval_doc_example():
    ms = 2 * 31_536_000_000 + 139 * 86_400_000 + 16 * 3_600_000 + 47 * 60_000 + 15_000
    assert ev(f"formatInterval({ms})") == "2y 139d 16h 47m 15s"
    assert ev(f"formatIntervalShort({ms})") == "2y 139d"


def test_window_length_functions_read_the_window_field():
    assert ev("window_length_time()", {"window": "time(15 minute)"}) == 900_000
    assert ev("window_length_count()", {"window": "time(15 minute)"}) == 0
    assert ev("window_length_count()", {"window": "length(3)"}) == 3
    window = ListWindow([(1000, 1.0), (2000, 2.0)])
    assert ev("windowStartTime()", {"window": "length(3)"}, window=window) == 1000
    assert ev("windowStartTime()", {"window": "time(1 minute)"}, now_ms=120_000) == 60_000


def test_value_reads_another_metric_of_the_line():
    assert ev("value('temperature') > 50", lines={"temperature": 80.0}) is True
    assert ev("value('missing', 0)") == 0
    with pytest.raises(EvaluationError, match="metric not found"):
        ev("value('missing')")


def test_rule_open():
    calls = []

    def open_rules(rule, entity, expression):
        calls.append((rule, entity, expression))
        return rule == "disk_low"

    names = {"entity": "e1"}
    assert ev("rule_open('disk_low')", names, open_rules=open_rules) is True
    assert ev("rule_open('cpu', '')", names, open_rules=open_rules) is False
    assert ev("rule_open('cpu', 'e2', 'tags.a = 1')", names, open_rules=open_rules) is False
    assert calls == [("disk_low", "e1", None), ("cpu", None, None), ("cpu", "e2", "tags.a = 1")]


def test_samples_values_timestamps():
    window = ListWindow([(1000, 1.0), (2000, 2.0), (3000, 3.0)])
    assert ev("values()", window=window) == [1.0, 2.0, 3.0]
    assert ev("values(2)", window=window) == [1.0, 2.0]
    assert ev("values(-1)", window=window) == [3.0]
    assert ev("timestamps(-2)", window=window) == [2000, 3000]
    assert ev("samples(1)[0].value", window=window) == 1.0
    assert ev("samples(-1)[0].t", window=window) == 3000


class FakeServices:
    link_format = "html"

    def details_table(self, fmt, sections):
        return f"table:{fmt}:{','.join(sections)}"

    def link(self, kind, fmt):
        return f"link:{kind}:{fmt}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("detailsTable('ascii')", "table:ascii:"),
        ("detailsTable('html', 'entity', 'statistics')", "table:html:entity,statistics"),
        ("getEntityLink()", "link:entity:None"),
        ("getRuleLink('markdown')", "link:rule:markdown"),
        ("getChartLink()", "link:chart:None"),
        ("getCsvExportLink()", "link:csvExport:None"),
        ("getHtmlExportLink()", "link:htmlExport:None"),
        (
            "addLink('Docs', 'https://x.org/?a=1&b=2')",
            '<a href="https://x.org/?a=1&amp;b=2">Docs</a>',
        ),
        ("addLink('Docs', 'https://x.org', 'markdown')", "[Docs](https://x.org)"),
        ("addLink('Docs', 'https://x.org', 'pipe')", "<https://x.org|Docs>"),
    ],
)
def test_content_hooks(text, expected):
    assert ev(text, {"content_services": FakeServices()}) == expected


def test_content_hooks_need_the_renderer():
    with pytest.raises(EvaluationError, match="only available in notification texts"):
        ev("detailsTable('ascii')")


def test_add_table_layouts():
    data = "['entity': 'atsd', 'count': 1]"
    assert ev(f"addTable({data}, 'ascii')") == "\n".join(
        [
            "+--------+-------+",
            "| Name   | Value |",
            "+--------+-------+",
            "| count  | 1     |",
            "| entity | atsd  |",
            "+--------+-------+",
        ]
    )
    assert ev(f"addTable({data}, 'markdown')") == (
        "| **Name** | **Value** |\n|:---|:---|\n| count | 1 |\n| entity | atsd |"
    )
    assert ev("addTable(['metric_label': 'JVM Memory Used, %'], 'csv')") == (
        'Name,Value\nmetric_label,"JVM Memory Used, %"'
    )
    assert ev(f"addTable({data}, 'property')") == "count=1\nentity=atsd"
    assert ev("addTable(['a': '<b>'], 'html')").count("&lt;b&gt;") == 1
    assert ev("addTable([['x': 1, 'y': 2]], 'csv')") == "x,y\n1,2"


def test_cancel_action_raises_for_the_renderer():
    with pytest.raises(CancelAction):
        ev("entity == 'br-1905' ? cancelAction() : 'x'", {"entity": "br-1905"})


def test_every_registered_function_has_a_test():
    """Conventions: each function is documented by its test."""
    here = pathlib.Path(__file__).parent
    source = "\n".join(p.read_text() for p in here.glob("test_*.py"))
    missing = [name for name in REGISTRY if not re.search(r"\b" + re.escape(name) + r"\(", source)]
    assert missing == []


def test_functions_used_and_names_used_are_reported():
    from rules.expressions.compiler import compile_expression

    compiled = compile_expression(
        "avg() > 5 && tags.x = entity.label && now.hourOfDay > 1", "condition"
    )
    assert compiled.functions_used == {"avg"}
    assert compiled.names_used == {"tags", "entity", "now"}


def test_dict_context_is_an_eval_context():
    ctx = DictContext({"a": 1})
    assert ctx.lookup("a") == 1
    assert ctx.lookup("b") is None
