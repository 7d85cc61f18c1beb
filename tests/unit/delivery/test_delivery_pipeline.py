"""Delivery without a broker: rows written by dispatch, sent by process_order_key.

The fake HipChat server answers on loopback; no test sleeps: a retry's wait is
skipped by making the row due (``due_now``), which is what the clock would do.
"""

from __future__ import annotations

import pytest

from devtools.fakes.hipchat import Reply
from notifications.delivery import process_order_key
from notifications.dispatch import dispatch_triggers
from notifications.models import Delivery, DeliveryAttempt, DeliveryStatus
from rules.models import RuleErrorRecord
from tests.unit.delivery.factories import (
    BINDING,
    RULE,
    TOKEN,
    L,
    at,
    binding,
    deliver,
    due_now,
    engine_run,
    hipchat_endpoint,
    texts,
    web_action,
)

pytestmark = pytest.mark.django_db


def test_walkthrough_open_repeat_cancel_are_sent_in_order_with_exact_payloads(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding()
    run = engine_run()
    deliver(run.series(55, at(0)))
    deliver(run.series(60, at(1, 45)))
    deliver(run.series(20, at(3)))
    assert run.series(20, at(4)) == []  # §9 row 7: no trigger, no request

    sent = hipchat_fake.room_messages(2)
    expected = [
        f"[OPEN] {RULE} for br-1905 {{}}. {L}",
        f"[REPEAT] {RULE} for br-1905 {{}}. Duration: 1m:45s. {L}",
        f"[CANCEL] {RULE} for br-1905 {{}}. Duration: 3m:0s. {L}",
    ]
    assert [r.json for r in sent] == [
        {"message": text, "message_format": "text", "color": "yellow"} for text in expected
    ]
    assert all(r.auth_method == "header" and r.token == TOKEN for r in sent)
    rows = Delivery.objects.order_by("sequence")
    assert [(d.trigger, d.status, d.attempts) for d in rows] == [
        ("OPEN", "DELIVERED", 1),
        ("REPEAT", "DELIVERED", 1),
        ("CANCEL", "DELIVERED", 1),
    ]
    assert len({d.order_key for d in rows}) == 1
    log = DeliveryAttempt.objects.order_by("id")
    assert [(a.request, a.response_code, a.status, a.endpoint_kind) for a in log] == [
        ("notification", 204, "OK", "hipchat")
    ] * 3


def test_html_format_inlines_the_rule_link(hipchat_fake):
    hipchat_endpoint(hipchat_fake, message_format="html")
    binding()
    deliver(engine_run().series(55, at(0)))
    [sent] = hipchat_fake.room_messages(2)
    assert sent.json["message_format"] == "html"
    assert sent.json["message"].endswith(f'<a href="{L}">{RULE}</a>')


def test_command_tags_print_as_a_sorted_map(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding("disk_low", open_params={"message": "[${status}] ${rule} for ${entity} ${tags}."})
    run = engine_run("disk_low", metric="disk_used_percent", expression="value > 80")
    tags = {"mount_point": "/", "file_system": "/dev/sda1"}
    deliver(run.series(85.5, at(0), entity="nurswgvml007", **tags))
    assert texts(hipchat_fake) == [
        "[OPEN] disk_low for nurswgvml007 {file_system=/dev/sda1, mount_point=/}."
    ]


def test_critical_rules_are_red(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding()
    deliver(engine_run(severity="CRITICAL").series(55, at(0)))
    assert hipchat_fake.room_messages(2)[0].json["color"] == "red"


def test_message_rule_takes_the_message_severity(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding("gh-push", open_params={"message": "${type}/${source}: ${message}"})
    run = engine_run(
        "gh-push", metric="message", expression="true", window="length(1)",
        severity="UNKNOWN", type="webhook",
    )  # fmt: skip
    deliver(run.message("push", at(0), "gh", 7, type="webhook", source="github"))
    [sent] = hipchat_fake.room_messages(2)
    assert (sent.json["message"], sent.json["color"]) == ("webhook/github: push", "red")


def test_jvm_walkthrough_rule_in_html(hipchat_fake):
    from rules.engine.grouping import Grouping

    hipchat_endpoint(hipchat_fake, message_format="html")
    binding("atsd.jvm.low_memory")
    run = engine_run(
        "atsd.jvm.low_memory", metric="jvm_memory_used_percent",
        expression="avg() > 10 || max() > 85", window="time(15 minute)",
        grouping=Grouping("NO_TAGS"),
    )  # fmt: skip
    deliver(run.series(22.7, at(0), entity="atsd", host="AXIBASE"))
    link = "https://atsd.example.org:8443/rule/edit.xhtml?name=atsd.jvm.low_memory"
    assert texts(hipchat_fake) == [
        f'[OPEN] atsd.jvm.low_memory for atsd {{host=AXIBASE}}. <a href="{link}">'
        "atsd.jvm.low_memory</a>"
    ]


def test_a_disabled_endpoint_ignores_sends_silently(hipchat_fake):
    hipchat_endpoint(hipchat_fake, enabled=False)
    binding()
    [row] = deliver(engine_run().series(55, at(0)))
    assert row.status == DeliveryStatus.CANCELLED
    assert hipchat_fake.log == []
    assert not RuleErrorRecord.objects.exists()
    assert not DeliveryAttempt.objects.exists()


def test_an_unknown_endpoint_cancels_with_a_rule_error(hipchat_fake):
    binding(endpoint="nowhere")
    [row] = deliver(engine_run().series(55, at(0)))
    assert (row.status, row.last_error) == ("CANCELLED", "endpoint 'nowhere' not found")
    [error] = RuleErrorRecord.objects.all()
    assert (error.rule, error.error) == (RULE, "endpoint 'nowhere' not found")
    assert hipchat_fake.log == []


def test_it_retries_on_500_and_delivers_once_on_the_third_attempt(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding()
    hipchat_fake.script(Reply(status=500), times=2)
    [row] = deliver(engine_run().series(55, at(0)))
    assert row.status == DeliveryStatus.PENDING
    assert row.attempts == 1
    assert row.next_attempt_at is not None
    for _ in range(2):
        due_now()
        process_order_key(row.order_key)
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("DELIVERED", 3)
    log = DeliveryAttempt.objects.order_by("id")
    assert [(a.response_code, a.status) for a in log] == [
        (500, "RETRY"),
        (500, "RETRY"),
        (204, "OK"),
    ]
    assert len(hipchat_fake.room_messages(2)) == 1


def test_a_400_is_not_retried_and_its_error_text_is_logged(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding()
    error = {"code": 400, "type": "Bad Request", "field": "color", "message": "Bad colour"}
    body = {"error": error}
    hipchat_fake.script(Reply(status=400, body=body))
    [row] = deliver(engine_run().series(55, at(0)))
    assert (row.status, row.attempts) == ("FAILED", 1)
    assert row.last_error == "HipChat error: HTTP 400: Bad colour (field color)"
    [attempt] = DeliveryAttempt.objects.all()
    assert (attempt.response_code, attempt.status) == (400, "ERROR")
    assert attempt.error == "HipChat error: HTTP 400: Bad colour (field color)"
    assert '"field": "color"' in attempt.response_text
    due_now()
    process_order_key(row.order_key)
    assert len(hipchat_fake.log) == 1


def test_a_429_waits_for_the_rate_limit_reset(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding()
    hipchat_fake.script(Reply.rate_limited(reset_in_s=30))
    [row] = deliver(engine_run().series(55, at(0)))
    wait = (row.next_attempt_at - DeliveryAttempt.objects.get().time).total_seconds()
    assert row.status == "PENDING"
    assert 29 <= wait <= 32
    assert DeliveryAttempt.objects.get().response_code == 429


def test_younger_notifications_wait_while_the_oldest_is_retried(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding()
    hipchat_fake.script(Reply(status=503))
    run = engine_run()
    deliver(run.series(55, at(0)))
    deliver(run.series(60, at(1)))  # the REPEAT must not overtake the OPEN being retried
    assert hipchat_fake.room_messages(2) == []
    assert list(Delivery.objects.order_by("sequence").values_list("status", flat=True)) == [
        "PENDING",
        "PENDING",
    ]
    due_now()
    process_order_key(Delivery.objects.first().order_key)
    assert [t.split("]")[0] for t in texts(hipchat_fake)] == ["[OPEN", "[REPEAT"]


def test_it_gives_up_after_the_maximum_attempts(hipchat_fake, settings):
    settings.NOTIFY_MAX_ATTEMPTS = 2
    hipchat_endpoint(hipchat_fake)
    binding()
    hipchat_fake.script(Reply(status=502), times=5)
    [row] = deliver(engine_run().series(55, at(0)))
    due_now()
    process_order_key(row.order_key)
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("FAILED", 2)
    assert row.last_error.startswith("given up after 2 attempts: ")
    assert [a.status for a in DeliveryAttempt.objects.order_by("id")] == ["RETRY", "ERROR"]


def test_placeholder_errors_are_rule_errors_and_the_text_is_still_sent(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding(open_params={"message": "${foo} x ${round(}"})
    deliver(engine_run().series(55, at(0)))
    assert texts(hipchat_fake) == ["x ${round(}"]
    assert RuleErrorRecord.objects.count() == 1
    assert RuleErrorRecord.objects.get().expression == "round("


@pytest.mark.parametrize(("value", "expected"), [(95, "HIGH"), (60, "normal")])
def test_control_flow_picks_the_branch(hipchat_fake, value, expected):
    hipchat_endpoint(hipchat_fake)
    template = "@if{value > 90}\nHIGH\n@else{}\nnormal\n@end{}"
    binding(open_params={"message": template})
    deliver(engine_run().series(value, at(0)))
    assert texts(hipchat_fake) == [expected]


def test_cancel_action_sends_nothing_and_logs_cancelled(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding(open_params={"message": "@if{entity == 'br-1905'}${cancelAction()}@end{}x"})
    [row] = deliver(engine_run().series(55, at(0)))
    assert hipchat_fake.log == []
    assert row.status == "CANCELLED"
    [attempt] = DeliveryAttempt.objects.all()
    assert (attempt.status, attempt.response_code) == ("CANCELLED", 0)
    assert not RuleErrorRecord.objects.exists()


def test_details_table_follows_the_text_as_a_txt_file(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding(open_details=True, details_format="ascii")
    deliver(engine_run().series(55, at(0)))
    text, upload = hipchat_fake.room_messages(2)
    assert text.endpoint == "notification"
    assert upload.endpoint == "share/file"
    assert upload.file.filename == f"{RULE}_br-1905_open_20180222_1200000.txt"
    table = upload.file.data.decode()
    assert table.startswith("+-")
    assert "| count " in table
    assert "| 1 " in table
    assert "| avg " not in table
    assert [a.request for a in DeliveryAttempt.objects.order_by("id")] == ["notification", "file"]


def test_a_retry_after_a_failed_file_does_not_repeat_the_text(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding(open_details=True)
    hipchat_fake.script(Reply(status=503, endpoint="file"))
    [row] = deliver(engine_run().series(55, at(0)))
    assert row.status == "PENDING"
    due_now()
    process_order_key(row.order_key)
    assert [r.endpoint for r in hipchat_fake.room_messages(2)] == ["notification", "share/file"]


def test_delay_cancelled_before_it_expires_sends_nothing(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding()
    run = engine_run(actions=(web_action(delay_ms=60_000),))
    deliver(run.series(55, at(0)))
    deliver(run.series(20, at(0, 10)))
    deliver(run.series(20, at(0, 20)))
    deliver(run.series(20, at(0, 30)))
    assert hipchat_fake.log == []
    assert not Delivery.objects.exists()


def test_delay_sends_one_open_when_it_expires(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding()
    run = engine_run(actions=(web_action(delay_ms=60_000),))
    for seconds in (0, 20, 40):
        deliver(run.series(55, at(0, seconds)))
    opened = run.triggers[0]
    delayed = run.engine.delayed_open(RULE, opened.key, "web:" + BINDING, opened.episode, at(1))
    deliver(run.store([delayed]))
    assert [t.split(" ")[0] for t in texts(hipchat_fake)] == ["[OPEN]"]


def test_dispatch_twice_creates_one_delivery(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding()
    ids = engine_run().series(55, at(0))
    dispatch_triggers(ids)
    dispatch_triggers(ids)
    assert Delivery.objects.count() == 1


def test_tokens_never_reach_the_log(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding()
    hipchat_fake.script(Reply(status=401))
    deliver(engine_run().series(55, at(0)))
    for attempt in DeliveryAttempt.objects.all():
        assert TOKEN not in f"{attempt.error} {attempt.response_text}"
    assert TOKEN not in Delivery.objects.get().last_error


def test_cancel_as_open_sends_the_open_text_with_status_cancel(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding(cancel_as_open=True, cancel_params={"message": "unused"})
    run = engine_run()
    deliver(run.series(55, at(0)))
    deliver(run.series(20, at(0, 1)))
    deliver(run.series(20, at(0, 2)))
    assert texts(hipchat_fake) == [
        f"[OPEN] {RULE} for br-1905 {{}}. {L}",
        f"[CANCEL] {RULE} for br-1905 {{}}. {L}",
    ]
