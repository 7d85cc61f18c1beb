"""import_rules: all or nothing, replace by name, per-rule outcome and fidelity report."""

import pytest

from rules.models import Rule
from rules.rulesxml import import_rules

pytestmark = pytest.mark.django_db


def _doc(*rules: str) -> bytes:
    return ("<rules>" + "".join(rules) + "</rules>").encode()


def _rule(name: str, expression: str = "true", extra: str = "") -> str:
    return (
        f"<rule><name>{name}</name><metric>m</metric><window>length(1)</window>"
        f"<expression><![CDATA[{expression}]]></expression>{extra}</rule>"
    )


def test_creates_rules_and_reports_each(fixture_bytes):
    report = import_rules(fixture_bytes("old_style_rules.xml"), auto_enable=False)
    assert report.saved is True
    assert report.created == ["zk-latency", "old-message", "old-series"]
    assert report.replaced == []
    assert report.failed == []
    assert report.failures == []
    assert Rule.objects.count() == 3


def test_replaces_the_whole_rule_by_name_keeping_its_id():
    import_rules(
        _doc(_rule("r", "value > 1", "<description>first</description><severity>MAJOR</severity>")),
        auto_enable=False,
    )
    first = Rule.objects.get(name="r")

    report = import_rules(_doc(_rule("r", "value > 2"), _rule("s")), auto_enable=False)

    assert report.replaced == ["r"]
    assert report.created == ["s"]
    again = Rule.objects.get(name="r")
    assert again.pk == first.pk
    assert again.expression == "value > 2"
    assert again.description == ""  # the whole rule is replaced, not merged
    assert again.severity == "WARNING"


def test_auto_enable_forces_enabled(fixture_bytes):
    report = import_rules(fixture_bytes("message_rule.xml"), auto_enable=True)
    assert report.saved
    assert Rule.objects.get(name="github-push").enabled is True


def test_without_auto_enable_the_file_decides(fixture_bytes):
    import_rules(fixture_bytes("message_rule.xml"), auto_enable=False)
    assert Rule.objects.get(name="github-push").enabled is False


def test_one_broken_rule_saves_nothing_and_is_named(fixture_bytes):
    import_rules(_doc(_rule("cpu_high", "value > 1")), auto_enable=False)

    report = import_rules(fixture_bytes("one_broken_among_valid.xml"), auto_enable=False)

    assert report.saved is False
    assert report.failed == ["disk_low", "#4"]
    assert report.created == []
    assert [(f.rule, f.element) for f in report.failures] == [
        ("disk_low", "window"),
        ("disk_low", "enabled"),
        ("#4", "name"),
    ]
    assert (
        str(report.failures[0])
        == "rule 'disk_low': <window>: 'time(5 parsecs)': unknown unit 'parsecs'; use "
        "millisecond, second, minute, hour, day, week, month, quarter or year"
    )
    # Nothing changed: the existing rule keeps its old condition, no new rule appeared.
    assert list(Rule.objects.values_list("name", "expression")) == [("cpu_high", "value > 1")]


def test_syntax_error_fails_the_rule_with_its_position():
    report = import_rules(_doc(_rule("ok"), _rule("bad", "avg( > 1")), auto_enable=False)
    assert report.saved is False
    (failure,) = report.failures
    assert (failure.rule, failure.element) == ("bad", "expression")
    assert "line 1, column" in failure.reason
    assert Rule.objects.count() == 0


def test_filter_and_variable_errors_name_their_element():
    report = import_rules(
        _doc(
            _rule("f", extra="<filter><![CDATA[tags.a = ]]></filter>"),
            _rule(
                "v",
                extra="<userExpressions><expression><![CDATA[1 + AS x]]></expression>"
                "</userExpressions>",
            ),
            _rule("s", extra="<filter><![CDATA[avg() > 1]]></filter>"),
        ),
        auto_enable=False,
    )
    assert [(f.rule, f.element) for f in report.failures] == [
        ("f", "filter"),
        ("v", "userExpressions"),
        ("s", "filter"),
    ]
    assert report.failures[1].reason.startswith("variable 'x': ")
    assert "statistical function 'avg' is not allowed in a filter" in report.failures[2].reason


def test_unknown_function_is_imported_and_reported_as_unsupported():
    report = import_rules(
        _doc(_rule("u", "db_baseline('avg', '1 hour', 7) > 0 && value > 1")),
        auto_enable=False,
    )
    assert report.saved is True
    (result,) = report.rules
    assert result.fidelity == [
        "<expression>: not run: unknown functions db_baseline at line 1, column 1"
    ]
    assert Rule.objects.get(name="u").expression.startswith("db_baseline(")


def test_unsupported_functions_in_variables_are_listed_with_positions():
    variables = (
        "<userExpressions>"
        "<expression><![CDATA[nosuch_fn('SELECT 1') AS total]]></expression>"
        "</userExpressions>"
    )
    report = import_rules(_doc(_rule("v", "true", variables)), auto_enable=False)
    assert report.saved
    (result,) = report.rules
    assert result.fidelity == [
        "<userExpressions>: variable 'total': not run: unknown functions nosuch_fn "
        "at line 1, column 1"
    ]


def test_series_reads_in_variables_are_supported(fixture_bytes):
    report = import_rules(fixture_bytes("user_expressions_rule.xml"), auto_enable=False)
    (result,) = report.rules
    assert result.fidelity == []


def test_a_rule_whose_elements_all_run_has_an_empty_fidelity_report(fixture_bytes):
    report = import_rules(fixture_bytes("series_rule_web_notification.xml"), auto_enable=False)
    (result,) = report.rules
    assert result.outcome == "created"
    assert result.fidelity == []  # its alertLoggerName is a file log


def test_model_validation_failures_name_the_element():
    report = import_rules(_doc(_rule("x" * 600)), auto_enable=False)
    assert report.saved is False
    (failure,) = report.failures
    assert failure.element == "name"
    assert "at most 512 characters" in failure.reason


def test_database_error_rolls_back_everything(monkeypatch, fixture_bytes):
    original_save = Rule.save
    calls = []

    def failing_save(self, *args, **kwargs):
        calls.append(self.name)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(Rule, "save", failing_save)
    with pytest.raises(RuntimeError, match="disk full"):
        import_rules(fixture_bytes("old_style_rules.xml"), auto_enable=False)
    assert Rule.objects.count() == 0


def test_document_without_rules_imports_nothing():
    report = import_rules(b"<rules/>", auto_enable=False)
    assert report.saved is True
    assert report.rules == []
    assert report.notes == ["the document holds no <rule> elements; nothing was imported"]


def test_walkthrough_rule_imports(fixture_bytes):
    report = import_rules(fixture_bytes("walkthrough_rules.xml"), auto_enable=False)
    assert report.saved, report.failures
    rule = Rule.objects.get(name="atsd.jvm.low_memory")
    assert rule.metric == "jvm_memory_used_percent"
    assert rule.entity_filter == "atsd"
    assert rule.expression == "avg() > 10 || max() > 85"
    assert rule.window == "time(15 minute)"
    assert rule.tags_grouping_strategy == "NO_TAGS"
    assert rule.severity == "WARNING"
    assert rule.data_type == "series"
    assert (
        "<webNotificationConfigName>hc</webNotificationConfigName>" in rule.web_notifications_xml[0]
    )
