"""Custom end to end: ATSD's ready-made PagerDuty template, imported from the corpus and
pointed at the fake API, carries a rule's OPEN, REPEAT and CANCEL through a real notify
worker on real Redis: the body filled and JSON-escaped, the token header sent, in order,
with a 429 waited out on the way."""

from __future__ import annotations

import pytest

from devtools.fakes.custom import CustomApi, running_custom_api
from notifications.endpoints.xml import import_endpoints
from notifications.models import Delivery, Endpoint
from tests.corpus import corpus_file
from tests.engine_helpers import poll
from tests.unit.channels.custom.helpers import CORPUS
from tests.unit.delivery.factories import RULE, SERVER_URL, at, binding, engine_run

pytestmark = pytest.mark.integration

TEMPLATE = CORPUS / "custom-pagerduty-notification.xml"
INCIDENT = "[${status}] ${rule} for ${entity}"


@pytest.fixture(autouse=True)
def server_settings(settings):
    settings.SERVER_URL = SERVER_URL
    settings.TIME_ZONE = "UTC"


def test_the_pagerduty_template_sends_open_repeat_cancel_in_order(notify_worker):
    corpus_file(TEMPLATE)
    with running_custom_api(headers={"Authorization": "Token token=1111111"}) as api:
        import_endpoints(TEMPLATE.read_bytes())
        endpoint = Endpoint.objects.get(name="custom-pagerduty")
        rows = [(p["key"], p["value"], p["editable"]) for p in endpoint.parameters]
        endpoint.set_parameters(
            (k, f"{api.url}/incidents" if k == "url" else v, e) for k, v, e in rows
        )
        endpoint.save()
        params = {"incident_name": INCIDENT, "service_id": "PKB8I6U", "detailsTable('ascii')": ""}
        binding(endpoint="custom-pagerduty", open_params=params, repeat_params=params,
                cancel_params=params)  # fmt: skip
        api.script(CustomApi.rate_limited(retry_after=1))
        run = engine_run()
        for i, value in enumerate((55, 60, 20)):  # OPEN, REPEAT, then avg 45: CANCEL
            run.series(value, at(0, i))

        poll(lambda: Delivery.objects.filter(status="DELIVERED").count() == 3, timeout=60)
        received = api.received()
        log = api.log

    incidents = [r.json["incident"] for r in received]
    statuses = ("OPEN", "REPEAT", "CANCEL")
    assert [i["title"] for i in incidents] == [f"[{s}] {RULE} for br-1905" for s in statuses]
    assert {i["service"]["id"] for i in incidents} == {"PKB8I6U"}
    assert all("br-1905" in i["body"]["details"] for i in incidents)  # the ascii table
    assert {r.path for r in received} == {"/incidents"}
    assert log[0].status == 429
    assert log[1].received_at - log[0].received_at >= 1.0  # Retry-After honoured
    assert [d.attempts for d in Delivery.objects.order_by("sequence")] == [2, 1, 1]
