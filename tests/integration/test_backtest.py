"""Backtest on history over HTTP and the command line: the API, the editor's Test on
history endpoint and ``manage.py backtest_rule``, over a real series history (Redis)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from rules.backtest.inputs import _form_values
from rules.backtest.limits import BacktestLimits
from rules.backtest.runner import run_backtest
from rules.editor.forms import RuleForm
from rules.history import recorder
from rules.ingest.pipeline import hand_off
from rules.models import Rule, TriggerRecord
from rules.partition.definitions import definition_of
from tests.engine_helpers import make_rule, poll
from tests.factories import bindings_xml
from tests.unit.backtest.history import MIN, database_state, feed, now_ms, redis_state, sample
from tests.unit.delivery.factories import binding, hipchat_endpoint
from tests.unit.history.conftest import clean_redis  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

URL = "/api/v1/rules/backtest"
VALUES = [10.0, 90.0, 95.0, 20.0]


@pytest.fixture
def history(clean_redis):  # noqa: F811  (the imported fixture)
    t0 = now_ms() - 30 * MIN
    feed(sample(v, t0 + i * MIN, entity="web-1") for i, v in enumerate(VALUES))
    return t0


@pytest.fixture
def rule(db) -> Rule:
    return Rule.objects.create(
        name="cpu-high", metric="cpu", window="count(1)", expression="value > 80", enabled=True
    )


@pytest.fixture
def bound_rule(rule, hipchat_fake) -> Rule:
    """``rule`` with a HipChat binding on every trigger, to a real (fake) room."""
    hipchat_endpoint(hipchat_fake)
    row = binding(rule.name, endpoint="hc")
    rule.web_notifications_xml = bindings_xml([row], rule.name)
    rule.save()
    return rule


def post(client, body):
    return client.post(URL, data=json.dumps(body), content_type="application/json")


def statuses(report) -> list[tuple[str, float]]:
    return [(s["status"], s["value"]) for s in report["sequence"]]


def test_api_replays_the_saved_rule_and_renders_its_messages_sending_nothing(
    admin_client, history, bound_rule, hipchat_fake
):
    redis_before, rows_before = redis_state(), database_state()
    response = post(admin_client, {"name": "cpu-high", "hours": 1})
    assert response.status_code == 200, response.content
    report = response.json()
    assert statuses(report) == [("OPEN", 90.0), ("REPEAT", 95.0), ("CANCEL", 20.0)]
    assert [s["time"] for s in report["sequence"]] == [
        history + MIN,
        history + 2 * MIN,
        history + 3 * MIN,
    ]
    assert report["windows"] == [
        {"key": "series-cpu-web-1", "entity": "web-1", "tags": {}, "status": "CANCEL",
         "samples": 1, "counts": {"OPEN": 1, "REPEAT": 1, "CANCEL": 1}},
    ]  # fmt: skip
    [chart] = report["charts"]
    assert chart["values"] == VALUES
    assert [m["status"] for m in chart["marks"]] == ["OPEN", "REPEAT", "CANCEL"]
    messages = report["messages"]
    assert [(m["trigger"], m["status"], m["endpoint"], m["skipped"]) for m in messages] == [
        (0, "OPEN", "hc", ""), (1, "REPEAT", "hc", ""), (2, "CANCEL", "hc", ""),
    ]  # fmt: skip
    assert messages[0]["text"].startswith("[OPEN] cpu-high for web-1")
    assert "Duration:" in messages[2]["text"]
    # No alert, no trigger record, no delivery, no partition key, nothing sent.
    assert redis_state() == redis_before
    assert database_state() == rows_before
    assert hipchat_fake.log == []


def test_api_runs_the_rule_with_the_given_fields_changed_leaving_it_saved_as_it_was(
    admin_client, history, rule
):
    response = post(admin_client, {"name": "cpu-high", "rule": {"expression": "value > 92"}})
    assert statuses(response.json()) == [("OPEN", 95.0), ("CANCEL", 20.0)]
    assert Rule.objects.get(name="cpu-high").expression == "value > 80"


def test_api_runs_a_new_rule_from_its_fields(admin_client, history):
    fields = {"name": "draft", "metric": "cpu", "window": "count(2)", "expression": "avg() > 50"}
    response = post(admin_client, {"hours": 2, "rule": fields})
    assert response.status_code == 200, response.content
    assert statuses(response.json()) == [("OPEN", 95.0), ("REPEAT", 20.0)]
    assert not Rule.objects.filter(name="draft").exists()


BAD_INPUTS = [
    ({"name": "cpu-high", "hours": 0}, "hours"),
    ({"name": "cpu-high", "hours": 25}, "hours"),
    ({"name": "cpu-high", "hours": "two"}, "hours"),
    ({"name": "cpu-high", "hours": True}, "hours"),
    ({"name": "nope"}, "name"),
    ({"name": ["cpu-high"]}, "name"),
    ({"name": "cpu-high", "limit": 5}, "limit"),
    ({"name": "cpu-high", "rule": "value > 1"}, "rule"),
    ({"name": "cpu-high", "rule": {"colour": "red"}}, "rule.colour"),
    ({"name": "cpu-high", "rule": {"expression": ["x"]}}, "rule.expression"),
    ({"name": "cpu-high", "rule": {"expression": "value >"}}, "rule.expression"),
    ({"name": "cpu-high", "rule": {"window": "count(0)"}}, "rule.window"),
    ({"name": "cpu-high", "rule": {"metric": "message"}}, "metric"),
    ({"hours": 1}, "rule"),
    ([1, 2], "body"),
]


def test_api_bad_input_is_a_400_naming_the_field(admin_client, rule, settings):
    settings.BACKTEST_MAX_HOURS = 24
    for body, field in BAD_INPUTS:
        response = post(admin_client, body)
        assert response.status_code == 400, body
        assert response.json()["field"] == field, body
        assert response.json()["error"]


def test_api_refuses_a_body_that_is_not_json_or_too_large(admin_client, rule):
    for data in (b"{not json", b'{"name": "' + b"x" * 300_000 + b'"}'):
        response = admin_client.post(URL, data=data, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["field"] == "body"


def test_api_is_for_administrators(operator_client, rule):
    assert post(Client(), {"name": "cpu-high"}).status_code == 401
    assert post(operator_client, {"name": "cpu-high"}).status_code == 403


def form_data(rule: Rule, **changes: str) -> dict[str, str]:
    """What the editor posts for ``rule`` with ``changes`` typed in (checkboxes as "on")."""
    values = _form_values(RuleForm(instance=rule)) | changes
    return {
        k: ("on" if v is True else str(v))
        for k, v in values.items()
        if v is not False and v is not None
    }


def test_editor_backtest_runs_the_unsaved_form(admin_client, history, rule):
    data = form_data(rule, expression="value > 92", backtest_hours="1")
    response = admin_client.post(f"/rules/{rule.pk}/backtest/", data)
    assert response.status_code == 200, response.content
    assert statuses(response.json()) == [("OPEN", 95.0), ("CANCEL", 20.0)]
    assert Rule.objects.get(pk=rule.pk).expression == "value > 80"
    bad = admin_client.post(f"/rules/{rule.pk}/backtest/", form_data(rule, expression="value >"))
    assert (bad.status_code, bad.json()["field"]) == (400, "rule.expression")


def test_backtest_rule_command_prints_the_sequence_and_the_messages(history, bound_rule):
    out = io.StringIO()
    call_command("backtest_rule", "cpu-high", "--hours", "1", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("rule cpu-high: 4 samples from ")
    assert [line.split()[1] for line in lines[1:4]] == ["OPEN", "REPEAT", "CANCEL"]
    assert any(line.startswith("message ") and "→ hc" in line for line in lines)
    assert any(line.startswith("[OPEN] cpu-high for web-1") for line in lines)
    with pytest.raises(CommandError, match="hours"):
        call_command("backtest_rule", "cpu-high", "--hours", "0", stdout=io.StringIO())
    with pytest.raises(CommandError, match="no rule named"):
        call_command("backtest_rule", "missing", stdout=io.StringIO())


@pytest.mark.integration
def test_the_backtest_gives_the_running_engines_statuses_for_the_same_samples(
    engine_worker,
    clean_redis,  # noqa: F811
):
    """The samples go through ingest to the real engine worker, which stores its
    triggers; the backtest over the history those samples left gives the same ones."""
    rule = make_rule("live-or-not", "load", "avg() > 50", "count(3)", enabled=True)
    t0 = now_ms() - 40 * MIN
    values = {"a": [10, 60, 70, 90, 20, 10, 10, 95, 96, 97, 10, 10, 10], "b": [90, 90, 90, 10, 10]}
    events = [
        sample(float(v), t0 + i * MIN, entity=entity, metric="load")
        for entity, series in values.items()
        for i, v in enumerate(series)
    ]
    hand_off(sorted(events, key=lambda e: e.time_ms))
    records = TriggerRecord.objects.filter(rule=rule.name)
    poll(lambda: records.count() == 12, what="the running engine's 12 triggers")
    recorder.recorder.flush()

    def by_window(triggers) -> dict[str, list[tuple[str, float, int]]]:
        out: dict[str, list[tuple[str, float, int]]] = {}
        for t in triggers:
            out.setdefault(t.window_key, []).append((t.status, t.value, t.repeat_count))
        return out

    live = by_window(r.snapshot() for r in records.order_by("id"))
    backtest = run_backtest(definition_of(rule), 1, BacktestLimits())
    assert by_window(backtest.triggers) == live
    assert [s for s, _, _ in live["series-load-b"]] == [
        "OPEN",
        "REPEAT",
        "REPEAT",
        "REPEAT",
        "CANCEL",
    ]


def test_an_unreachable_history_is_a_503(admin_client, rule, settings):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
    response = post(admin_client, {"name": "cpu-high"})
    assert response.status_code == 503
    assert response.json()["error"].startswith("series history unavailable")
