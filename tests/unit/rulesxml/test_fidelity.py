"""The import's fidelity report: what a rule stores but does not run, and why."""

from __future__ import annotations

import pytest

from rules.engine.definition import RuleDefinition
from rules.engine.engine import Engine
from rules.events import Event
from rules.expressions.templates import template_expressions
from rules.rulesxml import read_rules


def _rule(expression: str = "true", extra: str = "") -> bytes:
    return (
        "<rules><rule><name>r</name><metric>m</metric><window>length(1)</window>"
        f"<expression><![CDATA[{expression}]]></expression>{extra}</rule></rules>"
    ).encode()


def test_sql_is_one_not_run_line_per_rule_however_often_it_is_called():
    sql = "executeSqlQuery('SELECT 1')"
    extra = f"<userExpressions><expression><![CDATA[{sql} AS rows]]></expression></userExpressions>"
    (spec,) = read_rules(_rule(f"value > 1 && {sql}.size() > 0", extra))
    assert spec.fidelity == [
        "executeSqlQuery: not run (SQL queries are not executed on this server)"
    ]


def test_a_rule_calling_sql_installs_and_each_call_is_a_rule_error():
    engine = Engine()
    condition = "value > 1 && executeSqlQuery('SELECT 1') != null"
    engine.install(RuleDefinition("q", "m", condition, "length(1)"))
    assert engine.process(Event("series", "e", "m", {}, 1, 1, 5.0), 1) == []
    assert "executeSqlQuery is not run" in engine.errors[-1].error


def test_unknown_functions_in_templates_are_listed_by_place():
    web = (
        "<webNotification><name>ops</name><webNotificationConfigName>hc</webNotificationConfigName>"
        "<firstWebConfigParameters><key>message</key>"
        "<value>${nosuch_fn(entity)} and ${value}</value></firstWebConfigParameters>"
        "</webNotification>"
    )
    log = "<alertOpenMessage><![CDATA[@if{other_fn() > 1}x@end{}]]></alertOpenMessage>"
    (spec,) = read_rules(_rule(extra=web + log))
    assert spec.fidelity == [
        "<alertOpenMessage>: not run: unknown functions other_fn at line 1, column 5",
        "webNotification 'ops' open message: not run: "
        "unknown functions nosuch_fn at line 1, column 3",
    ]


def test_sql_in_a_template_is_the_same_one_line():
    log = "<alertMessage>${executeSqlQuery('SELECT 1')}</alertMessage>"
    (spec,) = read_rules(_rule("executeSqlQuery('x') != null", log))
    assert spec.fidelity == [
        "executeSqlQuery: not run (SQL queries are not executed on this server)"
    ]


def test_a_plain_rule_has_an_empty_report():
    (spec,) = read_rules(
        _rule("avg() > 1", "<ruleTable/><dateFilter><type>ALL</type></dateFilter>")
    )
    assert spec.fidelity == []


@pytest.mark.parametrize(
    ("template", "expressions"),
    [
        ("${a} and @{b}", ["a", "b"]),
        ("$${literal} ${x}", ["x"]),
        ("@if{c > 1}yes@else{}no@end{}", ["c > 1"]),
        ("@foreach{t : tags.keySet()}${t}@end{}", ["tags.keySet()", "t"]),
        ("${'}' + x}", ["'}' + x"]),
        ("${unterminated", []),
    ],
)
def test_template_expressions(template, expressions):
    assert [found.expression.strip() for found in template_expressions(template)] == expressions


def test_emails_and_the_file_logger_run_without_a_note():
    logger = "<alertLoggerName>atsd.alert.default</alertLoggerName>"
    live_email = (
        "<emailNotification><name>e</name><first-subject>Hi</first-subject></emailNotification>"
    )
    on = "<alertOpenMessageEnabled>true</alertOpenMessageEnabled>"
    (live,) = read_rules(_rule(extra=live_email + logger + on))
    assert live.fidelity == []


def test_custom_logging_text_runs_in_alert_history_without_a_note():
    extra = (
        "<logToAlertHistory>true</logToAlertHistory><alertOpenMessageEnabled>true"
        "</alertOpenMessageEnabled><alertOpenMessage>${entity} is hot</alertOpenMessage>"
    )
    (spec,) = read_rules(_rule(extra=extra))
    assert spec.fidelity == []
