"""Notification Log page and API: rows of requests, filters, paging, no tokens anywhere."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Delivery, DeliveryAttempt

pytestmark = pytest.mark.django_db


def delivery(rule: str = "temperature-too-high", endpoint: str = "hc", **fields) -> Delivery:
    values = {
        "event_id": f"e-{Delivery.objects.count() + 1}",
        "rule_name": rule,
        "binding_name": "Web Service Notification id=1",
        "endpoint_name": endpoint,
        "window_key": "br-1905",
        "entity": "br-1905",
        "trigger": "OPEN",
        "order_key": "k",
        "sequence": Delivery.objects.count() + 1,
        "status": "DELIVERED",
        "deadline": timezone.now() + timedelta(hours=1),
        "message_preview": "[OPEN] temperature-too-high for br-1905 {}.",
    }
    values.update(fields)
    return Delivery.objects.create(**values)


def attempt(d: Delivery, *, ago: timedelta = timedelta(0), **fields) -> DeliveryAttempt:
    values = {
        "delivery": d,
        "time": timezone.now() - ago,
        "attempt": 1,
        "request": "notification",
        "endpoint_kind": "hipchat",
        "response_code": 204,
        "status": "OK",
        "latency_ms": 3.25,
    }
    values.update(fields)
    return DeliveryAttempt.objects.create(**values)


@pytest.fixture
def rows():
    ok = delivery()
    attempt(ok)
    failed = delivery("disk_low", "other", status="FAILED")
    attempt(
        failed,
        response_code=400,
        status="ERROR",
        error="HipChat error: HTTP 400: Bad colour (field color)",
        response_text='{"error": {"code": 400, "field": "color"}}',
    )
    attempt(delivery("old-rule"), ago=timedelta(days=8))  # outside the default week
    return ok, failed


def test_the_page_lists_last_week_newest_first(operator_client, rows):
    response = operator_client.get("/notifications/log/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "2 requests" in page
    assert page.index("disk_low") < page.index("[OPEN] temperature-too-high for br-1905")
    assert "HipChat error: HTTP 400: Bad colour (field color)" in page
    assert "old-rule</td>" not in page


def test_the_page_filters_by_rule_endpoint_and_status(operator_client, rows):
    page = operator_client.get("/notifications/log/?status=ERROR").content.decode()
    assert "1 request," in page
    assert "HTTP 400" in page
    page = operator_client.get("/notifications/log/?endpoint=hc").content.decode()
    assert "1 request," in page
    assert "HTTP 400" not in page
    start = (timezone.now() - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    page = operator_client.get(f"/notifications/log/?rule=old-rule&start={start}")
    assert "1 request," in page.content.decode()


def test_a_bad_date_is_shown_and_the_default_week_is_used(operator_client, rows):
    page = operator_client.get("/notifications/log/?start=yesterday-ish").content.decode()
    assert "is not an ISO date" in page
    assert "2 requests" in page


def test_the_page_pages(operator_client):
    d = delivery()
    for i in range(55):
        attempt(d, attempt=i + 1)
    first = operator_client.get("/notifications/log/").content.decode()
    assert "Page 1 of 2" in first
    second = operator_client.get("/notifications/log/?page=2").content.decode()
    assert "Page 2 of 2" in second


def test_the_api_returns_the_same_rows_as_json(operator_client, rows):
    response = operator_client.get("/api/v1/notifications/log", {"status": "ERROR"})
    assert response.status_code == 200
    [row] = response.json()
    assert row["rule"] == "disk_low"
    assert row["endpoint"] == "other"
    assert (row["responseCode"], row["status"], row["attempt"]) == (400, "ERROR", 1)
    assert row["error"] == "HipChat error: HTTP 400: Bad colour (field color)"
    assert row["time"].endswith("Z")
    assert row["type"] == "hipchat"


def test_a_request_without_an_answer_and_a_message_id_are_shown(operator_client):
    d = delivery(status="SENDING")
    attempt(d, response_code=0, status="SENDING", latency_ms=None)
    attempt(d, ago=timedelta(seconds=-1), response_code=201, message_id="9c1e-msg-id")

    api = operator_client.get("/api/v1/notifications/log").json()
    assert [(r["status"], r["messageId"]) for r in api] == [("OK", "9c1e-msg-id"), ("SENDING", "")]
    page = operator_client.get("/notifications/log/?status=SENDING").content.decode()
    assert "no answer" in page
    assert "9c1e-msg-id" not in page
    assert "9c1e-msg-id" in operator_client.get("/notifications/log/").content.decode()


def test_the_api_takes_a_json_query_with_basic_auth(client, operator, rows):
    auth = base64.b64encode(b"oscar:pw-oscar").decode()
    start = (timezone.now() - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = client.post(
        "/api/v1/notifications/log",
        data={"startDate": start, "endDate": "now", "limit": 2},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {auth}",
    )
    assert response.status_code == 200
    assert [r["rule"] for r in response.json()] == ["disk_low", "temperature-too-high"]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"status": "MAYBE"}, "status: one of OK, ERROR, CANCELLED, RETRY, SENDING, UNKNOWN"),
        ({"startDate": "soon"}, "startDate: 'soon' is not an ISO date"),
        ({"limit": "many"}, "limit: expected an integer"),
        ([1], "body: expected a JSON object"),
    ],
)
def test_bad_api_input_is_a_400_naming_the_field(operator_client, body, error):
    response = operator_client.post(
        "/api/v1/notifications/log", data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith(error)


def test_anonymous_api_calls_get_401(client):
    assert client.get("/api/v1/notifications/log").status_code == 401


def test_tokens_never_appear_on_the_page_or_in_the_api(operator_client, hipchat_fake):
    from devtools.fakes.hipchat import Reply
    from notifications.delivery import process_order_key
    from notifications.dispatch import dispatch_triggers
    from tests.unit.delivery.factories import at, binding, engine_run, hipchat_endpoint

    hipchat_endpoint(hipchat_fake)
    binding()
    hipchat_fake.script(Reply(status=401))
    ids = engine_run().series(55, at(0))
    dispatch_triggers(ids)
    process_order_key(Delivery.objects.get().order_key)
    from tests.unit.delivery.factories import TOKEN as ENDPOINT_TOKEN

    page = operator_client.get("/notifications/log/").content.decode()
    api = operator_client.get("/api/v1/notifications/log").content.decode()
    assert "HTTP 401" in page
    assert "HTTP 401" in api
    assert ENDPOINT_TOKEN not in page
    assert ENDPOINT_TOKEN not in api


@pytest.fixture
def hipchat_fake():
    from devtools.fakes.hipchat import running_fake

    with running_fake() as fake:
        yield fake


@pytest.mark.parametrize("limit", [0, -5, 10_000_000])
def test_unlimited_log_api_call_cannot_dump_every_row(operator_client, settings, limit):
    settings.API_MAX_PAGE_SIZE = 2
    for _ in range(3):
        attempt(delivery())
    response = operator_client.get("/api/v1/notifications/log", {"limit": limit})
    assert len(response.json()) == 2
    assert response["X-Max-Page-Size"] == "2"
    assert response["X-Result-Truncated"] == "true"
