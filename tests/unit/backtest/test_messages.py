"""The messages a backtest shows: each fired binding's, rendered by notifications through
the previewer contract, with the reason when nothing would be sent; nothing written."""

from __future__ import annotations

import pytest

from notifications.models import Endpoint, MailClient
from rules.backtest.limits import BacktestLimits
from rules.backtest.report import build_report
from rules.backtest.runner import run_backtest
from rules.models import RuleErrorRecord
from rules.partition.definitions import definition_of
from tests.engine_helpers import make_rule
from tests.factories import bindings_xml
from tests.unit.backtest.history import MIN, database_state, feed, now_ms, sample
from tests.unit.delivery.email_factories import email_rule, email_spec
from tests.unit.delivery.factories import binding

pytestmark = pytest.mark.django_db
LIMITS = BacktestLimits()


def report_of(rule, values=(60.0, 70.0, 10.0)):
    """The report of ``rule`` after feeding ``values`` (one a minute) to the history."""
    t0 = now_ms() - 20 * MIN
    feed(
        sample(v, t0 + i * MIN, entity="br-1905", metric=rule.metric) for i, v in enumerate(values)
    )
    return build_report(run_backtest(definition_of(rule), 1, LIMITS), LIMITS)


def web_rule(open_text: str, name: str = "web-rule", endpoint: str = "hc"):
    rule = make_rule(name, "temperature", "value > 50", "count(1)")
    row = binding(rule.name, endpoint=endpoint, open_params={"message": open_text})
    rule.web_notifications_xml = bindings_xml([row], rule.name)
    rule.save()
    return rule


def hipchat(name: str = "hc") -> Endpoint:
    endpoint = Endpoint(name=name, kind="HIPCHAT")
    endpoint.set_parameters(
        [("room", "2", True), ("auth_token", "t", False), ("message", "", True)]
    )
    endpoint.save()
    return endpoint


def test_email_bindings_render_subject_body_and_recipients():
    rule = email_rule(email_spec())
    messages = report_of(rule)["messages"]
    assert [(m["status"], m["subject"]) for m in messages] == [
        ("OPEN", "[OPEN] temperature-too-high for br-1905"),
        ("REPEAT", "[REPEAT] temperature-too-high for br-1905"),
        ("CANCEL", "[CANCEL] temperature-too-high for br-1905"),
    ]
    assert messages[0]["endpoint"] == "ops@example.org, br-1905@example.org"
    assert messages[0]["text"].startswith("<p>Value: 60</p>")
    assert messages[0]["skipped"] == "mail client disabled"
    MailClient(enabled=True, host="127.0.0.1", sender="a@example.org").save()
    assert report_of(rule, values=())["messages"][0]["skipped"] == ""


def test_a_binding_that_would_not_send_says_why():
    assert report_of(web_rule("[${status}]"))["messages"][0]["skipped"] == "endpoint 'hc' not found"
    hipchat()
    cancelled = web_rule("@{cancelAction()}", name="cancelled")
    assert report_of(cancelled, values=())["messages"][0]["skipped"] == "cancelAction()"


def test_placeholder_errors_are_in_the_message_not_on_the_rule_errors_page():
    hipchat()
    rule = web_rule("a ${round(} b [${status}]")
    rows_before = database_state()
    [first, *_] = report_of(rule)["messages"]
    assert first["text"] == "a ${round(} b [OPEN]"
    assert len(first["errors"]) == 1
    assert not RuleErrorRecord.objects.exists()
    assert database_state() == rows_before
