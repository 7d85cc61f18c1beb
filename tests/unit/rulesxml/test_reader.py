"""Reading rules.xml into RuleSpec values (spec §2.1, §2.2); no database."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.engine.definition import RuleDefinition
from rules.engine.windows import WindowSpecError
from rules.models.rule import DEFAULT_ALERT_MESSAGE, Rule
from rules.partition.worker import PartitionHost
from rules.rulesxml import RulesImportError, read_rules
from rules.rulesxml.errors import ImportFailure
from rules.rulesxml.fields import normalize_window, split_user_expression
from rules.rulesxml.spec import RuleSpec


def _rule(body: str) -> str:
    return (
        "<rules><rule><name>r</name><metric>m</metric><window>length(1)</window>"
        f"<expression>true</expression>{body}</rule></rules>"
    )


def _read_one(body: str = "") -> RuleSpec:
    (spec,) = read_rules(_rule(body).encode())
    return spec


def _failures(data: str | bytes) -> list[ImportFailure]:
    with pytest.raises(RulesImportError) as caught:
        read_rules(data.encode() if isinstance(data, str) else data)
    return caught.value.failures


def test_rule_spec_fields_are_the_model_fields():
    model_fields = [f.name for f in Rule._meta.concrete_fields if f.name != "id"]
    assert sorted(RuleSpec.model_field_names()) == sorted(model_fields)


def test_series_rule_with_web_notification(fixture_bytes):
    (spec,) = read_rules(fixture_bytes("series_rule_web_notification.xml"))
    assert spec.name == "disk_low"
    assert spec.metric == "disk_used_percent"
    assert spec.tags == ["file_system", "mount_point"]
    assert spec.tags_grouping_strategy == "DEFINED_TAGS"
    assert spec.expression == "value > 80"
    assert spec.window == "length(1)"
    assert spec.severity == "CRITICAL"
    assert spec.alert_strategy == {"type": "COUNT", "count": 3, "unit": "MINUTE"}
    assert spec.last_updated == 1700000000000
    assert spec.owner == "ops"
    assert spec.description == "Disk almost full"
    assert spec.entity_filter == "nur* web-01"
    assert (spec.time_filter_count, spec.time_filter_unit) == (2, "MINUTE")
    assert spec.discard_previous_values is True
    assert spec.alert_open_message_enabled is True
    assert spec.alert_message_enabled is False
    assert spec.alert_cancellation_message_enabled is True
    assert spec.alert_message_as_open is True
    assert spec.script_as_open is True
    assert spec.log_to_alert_history is True
    assert spec.alert_logger_name == "atsd.alert.default"
    assert spec.derived_command == "series e:${entity} m:metric_123=${100 - value} ${commandTags}"
    assert spec.rule_table_xml == ""  # <ruleTable/>: no override rows
    assert len(spec.web_notifications_xml) == 1
    web = spec.web_notifications_xml[0]
    assert web.startswith("<webNotification>")
    assert "<webNotificationConfigName>hc</webNotificationConfigName>" in web
    assert "<value/>" in web
    assert spec.raw_extra == []
    # Web notifications run: the report says nothing about them.
    assert not [note for note in spec.fidelity if "webNotification" in note]


def test_message_rule_with_type_and_source(fixture_bytes):
    (spec,) = read_rules(fixture_bytes("message_rule.xml"))
    assert spec.metric == "message"
    assert spec.type == "webhook"
    assert spec.source == "github"
    assert spec.enabled is False
    assert spec.disable_entity_grouping is True
    assert spec.severity == "UNKNOWN"
    assert spec.filter == "tags.event = 'push' && entity = 'gh'"
    assert spec.alert_open_message == "${type}/${source}: ${message}"
    assert spec.alert_strategy["type"] == "NONE"
    assert spec.log_to_alert_history is None


def test_property_rule(fixture_bytes):
    (spec,) = read_rules(fixture_bytes("property_rule.xml"))
    assert spec.metric == "property"
    assert spec.type == "configuration"
    assert spec.tags_grouping_strategy == "NO_TAGS"  # absent: property default
    assert spec.window == "time(10 minute)"
    assert spec.leaving_events is True
    assert spec.load_history is True
    assert spec.instant_action is True
    assert spec.log_to_alert_history is False  # explicit false differs from absent
    assert spec.alert_strategy == {"type": "INTERVAL", "count": 30, "unit": "SECOND"}
    assert not [note for note in spec.fidelity if note.startswith("loadHistory")]


def test_old_style_rules_take_the_decided_defaults(fixture_bytes):
    tagged, message, series = read_rules(fixture_bytes("old_style_rules.xml"))
    assert tagged.tags == ["cluster"]
    assert tagged.tags_grouping_strategy == "DEFINED_TAGS"
    assert message.tags_grouping_strategy == "NO_TAGS"
    assert series.tags_grouping_strategy == "ALL_TAGS"
    for spec in (tagged, message, series):
        assert spec.log_to_alert_history is None  # pre-2018: OPEN/CANCEL always recorded
        assert spec.alert_message == DEFAULT_ALERT_MESSAGE  # absent <alertMessage>
        assert spec.time_filter_count == 0
        assert spec.time_filter_unit == "SECOND"


def test_minimal_rule_takes_section_2_2_defaults():
    spec = _read_one()
    assert spec == RuleSpec(name="r", metric="m", window="length(1)", expression="true")
    assert spec.enabled is True
    assert spec.severity == "WARNING"
    assert spec.tags_grouping_strategy == "ALL_TAGS"
    assert spec.fidelity == []


def test_user_expressions_split_on_the_last_as_in_any_case(fixture_bytes):
    (spec,) = read_rules(fixture_bytes("user_expressions_rule.xml"))
    assert spec.severity == "WARNING"  # alias WARN
    assert spec.user_expressions == [
        {"name": "total", "expression": "db_last('disk_totalspace')"},
        {"name": "used", "expression": "total - value"},
        {"name": "label", "expression": "tags.alias"},
        {"name": "verdict", "expression": "used > 0 ? 'HAS' : 'X AS Y'"},
        {"name": "used_pct", "expression": "100 * (used / total)"},
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a AS b", ("a", "b")),
        ("x as y", ("x", "y")),
        ("'p AS q' As r", ("'p AS q'", "r")),
        ("a\nAS\tb", ("a", "b")),
    ],
)
def test_split_user_expression(text, expected):
    assert split_user_expression(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("value + 1", "has no ' AS name' part"),
        ("value AS 1x", "is not a valid identifier"),
        ("value AS a-b", "is not a valid identifier"),
    ],
)
def test_bad_user_expression(text, reason):
    with pytest.raises(ValueError, match=reason):
        split_user_expression(text)


def test_duplicate_variable_fails():
    failures = _failures(
        _rule(
            "<userExpressions><expression>1 AS a</expression><expression>2 AS a</expression>"
            "</userExpressions>"
        )
    )
    assert [str(f) for f in failures] == [
        "rule 'r': <userExpressions>: variable 'a' is defined twice"
    ]


def test_cdata_and_escaped_text_read_the_same_with_lf(fixture_bytes):
    cdata, escaped = read_rules(fixture_bytes("cdata_vs_escaped.xml"))
    assert cdata.expression == "value > 1 &&\nvalue < 5"
    assert cdata.filter == "type = 'webhook' &&\nsource = 'github'"
    assert cdata.alert_open_message == "<b>${rule}</b>\nline 2"
    for field in ("expression", "filter", "alert_open_message"):
        assert getattr(escaped, field) == getattr(cdata, field)
        assert "\r" not in getattr(escaped, field)


def test_element_order_is_free():
    data = (
        "<rules><rule><severity>MAJOR</severity><expression>true</expression>"
        "<window>count(4)</window><metric>m</metric><name>r</name></rule></rules>"
    )
    (spec,) = read_rules(data.encode())
    assert (spec.name, spec.metric, spec.severity) == ("r", "m", "MAJOR")
    assert spec.window == "length(4)"  # UI says count(N), XML stores length(N)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("INFO", "NORMAL"),
        ("warn", "WARNING"),
        ("Error", "CRITICAL"),
        ("fatal", "FATAL"),
        ("undefined", "UNDEFINED"),
        ("6", "CRITICAL"),
    ],
)
def test_severity_names_aliases_and_codes(text, expected):
    assert _read_one(f"<severity>{text}</severity>").severity == expected


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("length(1)", "length(1)"),
        ("count(10)", "length(10)"),
        ("LENGTH( 3 )", "length(3)"),
        ("time(15 minute)", "time(15 minute)"),
        (" time(2 MINUTES) ", "time(2 MINUTES)"),
        ("time(500 milliseconds)", "time(500 milliseconds)"),
        ("time(1 Quarter)", "time(1 Quarter)"),
    ],
)
def test_window_syntax(text, stored):
    assert normalize_window(text) == stored


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("time(5 parsecs)", "unknown unit 'parsecs'"),
        ("length(0)", "count must be at least 1"),
        ("time(0 minute)", "duration must be at least 1 minute"),
        ("time(minute)", "expected time(N unit) with a whole N"),
        ("time(1.5 hour)", "expected time(N unit) with a whole N"),
        ("size(5)", "is not length(N), count(N) or time(N unit)"),
        ("length(-1)", "count must be a positive integer"),
    ],
)
def test_bad_window(text, reason):
    with pytest.raises(ValueError, match=re.escape(reason)):
        normalize_window(text)


WINDOW_TEXTS = st.builds(
    "{}({}{}{}{})".format,
    st.sampled_from(["length", "count", "COUNT", "time", "Time", "size"]),
    st.sampled_from(["", " "]),
    st.one_of(
        st.integers(-2, 10**12).map(str),
        st.sampled_from(["100000", "100001", "366", "367", "1.5", "", "x", "³", "0"]),
    ),
    st.sampled_from(["", " minute", " MINUTES", "day", " year", " parsecs", " quarter"]),
    st.sampled_from(["", " "]),
)


@given(WINDOW_TEXTS)
@settings(max_examples=500)
def test_import_accepts_exactly_the_windows_the_engine_runs(text):
    # The rule editor validates with the same normalize_window.
    engine = PartitionHost().new_engine()  # with the limits the engine workers run under
    try:
        stored = normalize_window(text)
    except ValueError:
        stored = None
    try:
        engine.install(RuleDefinition("r", "m", "true", text))
    except WindowSpecError:
        assert stored is None
    else:
        assert stored is not None
        engine.install(RuleDefinition("r", "m", "true", stored))  # the stored text runs too


def test_failures_name_rule_element_and_reason(fixture_bytes):
    failures = _failures(fixture_bytes("one_broken_among_valid.xml"))
    assert [str(f) for f in failures] == [
        "rule 'disk_low': <window>: 'time(5 parsecs)': unknown unit 'parsecs'; use "
        "millisecond, second, minute, hour, day, week, month, quarter or year",
        "rule 'disk_low': <enabled>: 'maybe' is not a boolean (true or false)",
        "rule '#4': <name>: is required",
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("<leavingEvents>yes</leavingEvents>", "<leavingEvents>: 'yes' is not a boolean"),
        ("<severity>LOUD</severity>", "<severity>: 'LOUD' is not a severity"),
        ("<lastUpdated>yesterday</lastUpdated>", "<lastUpdated>: 'yesterday' is not an integer"),
        (
            "<tagsGroupingStrategy>SOME_TAGS</tagsGroupingStrategy>",
            "<tagsGroupingStrategy>: 'SOME_TAGS' is not ALL_TAGS, DEFINED_TAGS or NO_TAGS",
        ),
        (
            "<timeFilter><intervalCount>1</intervalCount><intervalUnit>FORTNIGHT</intervalUnit>"
            "</timeFilter>",
            "<timeFilter>: 'FORTNIGHT' is not an interval unit",
        ),
        (
            "<alertStrategy><type>SOMETIMES</type></alertStrategy>",
            "<alertStrategy>: 'SOMETIMES' is not a strategy type",
        ),
        (
            "<alertStrategy><type>ALL</type><every>2</every></alertStrategy>",
            "<alertStrategy>: unexpected child <every>",
        ),
        ("<severity>MAJOR</severity><severity>MINOR</severity>", "<severity>: appears 2 times"),
        ("<owner><first>a</first></owner>", "<owner>: expected text, found a child element"),
        ("<userExpressions><var>1 AS a</var></userExpressions>", "unexpected child <var>"),
    ],
)
def test_invalid_values_are_reported(body, message):
    failures = _failures(_rule(body))
    assert len(failures) == 1
    assert message in str(failures[0])
    assert str(failures[0]).startswith("rule 'r': ")


@pytest.mark.parametrize("element", ["name", "metric", "window", "expression"])
def test_required_elements(element):
    data = (
        _rule("")
        .replace(f"<{element}>", f"<x{element}>")
        .replace(f"</{element}>", f"</x{element}>")
    )
    failures = _failures(data)
    assert any(f.element == element and f.reason == "is required" for f in failures)


def test_empty_required_element():
    failures = _failures(
        "<rules><rule><name>r</name><metric>m</metric><window>length(1)</window>"
        "<expression>  </expression></rule></rules>"
    )
    assert [str(f) for f in failures] == ["rule 'r': <expression>: must not be empty"]


def test_duplicate_names_in_one_file():
    rule = (
        "<rule><name>same</name><metric>m</metric><window>length(1)</window>"
        "<expression>true</expression></rule>"
    )
    failures = _failures(f"<rules>{rule}{rule}</rules>")
    assert [str(f) for f in failures] == [
        "rule 'same': <name>: rule #1 in this file has the same name"
    ]


def test_unexpected_element_under_rules():
    failures = _failures("<rules><policy/></rules>")
    assert [str(f) for f in failures] == [
        "document: <policy>: unexpected element in <rules>; expected <rule>"
    ]


def test_empty_boolean_element_keeps_default():
    spec = _read_one("<enabled/><leavingEvents></leavingEvents>")
    assert spec.enabled is True
    assert spec.leaving_events is False


def test_repeated_entity_filters_are_joined():
    # ATSD exports one <entityFilter> per pattern.
    spec = _read_one(
        "<entityFilter>sber_[tqbr]</entityFilter><entityFilter>sber_[smal]</entityFilter>"
    )
    assert spec.entity_filter == "sber_[tqbr] sber_[smal]"


def test_unknown_elements_are_kept_in_order(fixture_bytes):
    (spec,) = read_rules(fixture_bytes("unknown_element_rule.xml"))
    assert spec.raw_extra == ["<foo>1</foo>", '<bar attr="x"><baz>2</baz></bar>']
    assert "unknown element <foo>: not run; kept and re-exported unchanged" in spec.fidelity
    assert "unknown element <bar>: not run; kept and re-exported unchanged" in spec.fidelity


def test_store_only_elements_are_noted(fixture_bytes):
    (spec,) = read_rules(fixture_bytes("email_notification_rule.xml"))
    assert spec.window == "time(5 minutes)"
    assert len(spec.email_notifications_xml) == 1
    assert spec.date_filter_xml.startswith("<dateFilter>")
    assert spec.rule_table_xml.startswith("<ruleTable>\n<row>")
    assert "&#13;" not in spec.email_notifications_xml[0]  # CRLF → LF in raw blocks too
    assert spec.fidelity == [  # email bindings are sent: no note for them
        "scripts: not run (scripts are not executed on this server); stored",
    ]


def test_walkthrough_fixture(fixture_bytes):
    (spec,) = read_rules(fixture_bytes("walkthrough_rules.xml"))
    assert spec.name == "atsd.jvm.low_memory"
    assert spec.metric == "jvm_memory_used_percent"
    assert spec.entity_filter == "atsd"
    assert spec.expression == "avg() > 10 || max() > 85"
    assert spec.window == "time(15 minute)"
    assert spec.tags_grouping_strategy == "NO_TAGS"
    assert spec.severity == "WARNING"
    assert len(spec.web_notifications_xml) == 1
