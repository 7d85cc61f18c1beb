"""Per-stage latency and ``/metrics``: the stages of a real alert through the real stack
(TCP listener, engine worker, notify worker, fake HipChat), and who may read the metrics.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from atsd_alerts.metrics.tally import COMMANDS_RECEIVED, STAGE_LATENCY, Tally
from notifications.models import Delivery, DeliveryStatus
from rules.alerts.stages import as_ms
from rules.models import Alert, TriggerRecord
from tests.engine_helpers import make_rule, poll, tcp_sender
from tests.factories import bindings_xml
from tests.unit.delivery.factories import RULE, SERVER_URL, binding, hipchat_endpoint

pytestmark = pytest.mark.integration

TOKEN = "a-long-random-metrics-token-0123456789"
EXPORTED = {
    "atsd_alerts_commands_received",
    "atsd_alerts_samples_routed",
    "atsd_alerts_inbox_batches_appended",
    "atsd_alerts_inbox_batches_applied",
    "atsd_alerts_triggers_evaluated",
    "atsd_alerts_triggers_stored",
    "atsd_alerts_deliveries_finished",
    "atsd_alerts_stage_latency_seconds",
    "atsd_alerts_delivery_latency_seconds",
    "atsd_alerts_inbox_depth",
    "atsd_alerts_outbox_depth",
    "atsd_alerts_windows",
    "atsd_alerts_celery_queue_depth",
    "atsd_alerts_pending_deliveries",
    "atsd_alerts_open_alerts",
}


def scrape(client, token: str = TOKEN) -> dict[str, dict[tuple, float]]:
    """name → {(sample name, sorted labels): value} of an authorised GET /metrics."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    families = text_string_to_metric_families(response.content.decode())
    return {
        f.name: {(s.name, tuple(sorted(s.labels.items()))): s.value for s in f.samples}
        for f in families
    }


# -- who may read /metrics ---------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_without_a_configured_token_refuse_anonymous_and_any_token(client, settings):
    settings.METRICS_TOKEN = ""
    anonymous = client.get("/metrics")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 401


@pytest.mark.django_db
def test_metrics_refuse_a_wrong_token_and_a_user_without_a_reading_role(
    client, settings, collector
):
    settings.METRICS_TOKEN = TOKEN
    for wrong in (TOKEN[:-1], TOKEN + "0", "", TOKEN.upper()):
        answer = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {wrong}")
        assert answer.status_code == 401, wrong
        assert b"atsd_alerts" not in answer.content
    client.force_login(collector)
    assert client.get("/metrics").status_code == 403
    # A signed-in user's session does not rescue a wrong token.
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope").status_code == 401


@pytest.mark.django_db
def test_metrics_with_the_right_token_are_the_text_format_of_every_figure(client, settings, broker):
    settings.METRICS_TOKEN = TOKEN
    Tally().count(COMMANDS_RECEIVED, 3).observe_ms(STAGE_LATENCY, 4, stage="routed").observe_ms(
        STAGE_LATENCY, 40, stage="routed"
    ).write()
    Tally().count(COMMANDS_RECEIVED, 2).write()  # another process adds to the same figures
    figures = scrape(client)
    assert set(figures) >= EXPORTED
    assert figures["atsd_alerts_commands_received"] == {
        ("atsd_alerts_commands_received_total", ()): 5.0
    }
    routed = figures["atsd_alerts_stage_latency_seconds"]
    label = (("stage", "routed"),)
    assert routed[("atsd_alerts_stage_latency_seconds_count", label)] == 2.0
    assert routed[("atsd_alerts_stage_latency_seconds_sum", label)] == pytest.approx(0.044)
    bucket = "atsd_alerts_stage_latency_seconds_bucket"
    assert routed[(bucket, (("le", "0.0025"), ("stage", "routed")))] == 0.0
    assert routed[(bucket, (("le", "0.005"), ("stage", "routed")))] == 1.0
    assert routed[(bucket, (("le", "0.05"), ("stage", "routed")))] == 2.0
    assert routed[(bucket, (("le", "+Inf"), ("stage", "routed")))] == 2.0


@pytest.mark.django_db
def test_a_signed_in_operator_reads_the_metrics_without_a_token(operator_client, broker):
    answer = operator_client.get("/metrics")
    assert answer.status_code == 200
    assert b"# TYPE atsd_alerts_open_alerts gauge" in answer.content


# -- an alert's stages through the running stack --------------------------------------------


@pytest.fixture
def tcp(engine_worker, notify_worker, settings):
    settings.SERVER_URL = SERVER_URL
    settings.METRICS_TOKEN = TOKEN
    with tcp_sender() as send:
        yield send


def test_an_alert_records_its_stages_in_order_and_metrics_count_them(
    tcp, hipchat_fake, client, operator
):
    hipchat_endpoint(hipchat_fake)
    row = binding()
    make_rule(
        RULE, "temperature", "value > 50", "length(1)",
        web_notifications_xml=bindings_xml([row], RULE),
    )  # fmt: skip
    tcp("series e:br-1905 m:temperature=55")
    delivery = poll(
        lambda: Delivery.objects.filter(status=DeliveryStatus.DELIVERED).first(), what="sent"
    )
    record = TriggerRecord.objects.get(event_id=delivery.event_id)
    trigger = record.snapshot()
    assert trigger.status == "OPEN"
    assert delivery.finished is not None
    stages = [
        trigger.received_time,
        trigger.routed_time,
        trigger.evaluated_time,
        as_ms(record.created),
        as_ms(delivery.finished),
    ]
    assert all(isinstance(t, int) for t in stages), stages
    assert stages == sorted(stages), stages  # received ≤ routed ≤ evaluated ≤ stored ≤ sent

    # The alert's page shows each stage with its time and the time since received.
    alert = Alert.objects.get(rule=RULE)
    client.force_login(operator)
    page = client.get(reverse("alert-detail", args=[alert.pk]))
    [table] = page.context["stages"]
    assert table.status == "OPEN"
    shown = [(r.stage, r.since_received_ms) for r in table.rows]
    assert shown == [
        ("received", 0),
        ("routed", stages[1] - stages[0]),
        ("evaluated", stages[2] - stages[0]),
        ("stored", stages[3] - stages[0]),
        (f"sent (web: {row.name})", stages[4] - stages[0]),
    ]
    assert b'id="alert-stages-1"' in page.content

    # /metrics counts the same alert at every stage, across the processes that saw it.
    figures = scrape(client)
    assert (
        figures["atsd_alerts_commands_received"][("atsd_alerts_commands_received_total", ())] >= 1
    )
    latency = figures["atsd_alerts_stage_latency_seconds"]
    for stage in ("routed", "evaluated", "stored", "sent"):
        assert latency[("atsd_alerts_stage_latency_seconds_count", (("stage", stage),))] == 1
    assert (
        figures["atsd_alerts_deliveries_finished"][
            (
                "atsd_alerts_deliveries_finished_total",
                (("channel", "hipchat"), ("status", "delivered")),
            )
        ]
        == 1
    )
    assert (
        figures["atsd_alerts_delivery_latency_seconds"][
            ("atsd_alerts_delivery_latency_seconds_count", (("channel", "hipchat"),))
        ]
        == 1
    )
    assert (
        figures["atsd_alerts_triggers_stored"][
            ("atsd_alerts_triggers_stored_total", (("status", "OPEN"),))
        ]
        == 1
    )
    assert (
        figures["atsd_alerts_open_alerts"][
            ("atsd_alerts_open_alerts", (("severity", alert.severity),))
        ]
        == 1
    )
    inbox = figures["atsd_alerts_inbox_depth"]
    assert set(inbox.values()) == {0.0}  # every appended batch was applied
    assert len(inbox) == 2  # one per partition (ENGINE_PARTITIONS)
