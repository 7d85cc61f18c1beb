"""Placeholders in a rule's texts are checked at import: the functions they call that
the engine does not have, and their syntax errors, go to the fidelity report."""

from __future__ import annotations

from rules.rulesxml.reader import read_rules
from rules.rulesxml.validation import TemplateCheck, check_template


def _rule(extra: str) -> bytes:
    return (
        "<rules><rule><name>r</name><metric>m</metric><window>length(1)</window>"
        f"<expression>value &gt; 1</expression>{extra}</rule></rules>"
    ).encode()


WEB = (
    "<webNotification><name>to-slack</name><webNotificationConfigName>slack"
    "</webNotificationConfigName><firstWebConfigParameters><key>text</key>"
    "<value><![CDATA[{text}]]></value></firstWebConfigParameters></webNotification>"
)


def test_unsupported_functions_in_a_web_notification_text_are_listed_with_positions():
    text = "Open\n${addTable(no_such_table(no_such_query('q').content), 'ascii')}"
    [spec] = read_rules(_rule(WEB.replace("{text}", text)))
    assert (
        "webNotification 'to-slack' open text: not run: unknown functions "
        "no_such_table at line 2, column 12, no_such_query at line 2, column 26"
    ) in spec.fidelity


def test_logging_and_email_texts_are_checked_too():
    extra = (
        "<alertOpenMessage><![CDATA[${round(value,}]]></alertOpenMessage>"
        "<emailNotification><name>mail</name>"
        "<body-first><![CDATA[@if{nope(1)}x@end{}]]></body-first></emailNotification>"
    )
    [spec] = read_rules(_rule(extra))
    [logging] = [n for n in spec.fidelity if n.startswith("<alertOpenMessage>")]
    assert logging.startswith("<alertOpenMessage>: ")
    assert "in a placeholder at line 1, column 15" in logging
    assert (
        "emailNotification 'mail' body-first: not run: unknown functions nope at line 1, column 5"
    ) in spec.fidelity


def test_the_functions_the_engine_runs_are_not_listed():
    text = "${db_statistic('avg', '1 hour')} ${asciiDetailsTable} ${addPortal('Default')}"
    [spec] = read_rules(_rule(WEB.replace("{text}", text)))
    assert [n for n in spec.fidelity if "not run" in n] == []


def test_literal_and_foreach_placeholders():
    check = check_template("$${nope()} and @foreach{x : nope2()}@{x}@end{}")
    assert check.unsupported == ("nope2 at line 1, column 29",)
    assert check_template("no placeholders") == TemplateCheck()
