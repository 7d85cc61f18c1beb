"""Portal pages: login or a valid short-lived signature; nothing else gets in."""

from __future__ import annotations

import time

import pytest
from django.core import signing as django_signing

from notifications.portals import signing
from notifications.portals.views import threshold_of
from rules.contract.triggers import encode_trigger
from rules.events import SERIES, Event
from rules.history import recorder
from rules.models import TriggerRecord
from tests.unit.rendering.fixtures import trigger

PARAMS = {"metric": "cpu", "entity": "e1", "start": "0", "end": "9999999999999"}


@pytest.fixture(autouse=True)
def history(redis_url, settings):
    settings.REDIS_URL = redis_url
    now = int(time.time() * 1000)
    recorder.forget_known()
    recorder.write([Event(SERIES, "e1", "cpu", {}, now - 1000, now, 42.5)], now_ms=now)


@pytest.mark.django_db
def test_an_authenticated_user_sees_the_series_chart_with_its_data(operator_client):
    page = operator_client.get("/portals/series", PARAMS)
    assert page.status_code == 200
    assert b"vendor/uplot/uPlot.iife.min.js" in page.content
    assert b"42.5" in page.content
    assert b'id="portal-data"' in page.content


@pytest.mark.django_db
def test_a_valid_signature_opens_exactly_that_portal_without_a_login(client):
    query = signing.signed_query("Default", PARAMS)
    assert client.get(f"/portals/series?{query}").status_code == 200
    assert client.get(f"/portals/overview?{query}").status_code == 403  # another portal
    tampered = query.replace("entity=e1", "entity=e2")
    assert client.get(f"/portals/series?{tampered}").status_code == 403
    assert client.get("/portals/series?metric=cpu&sig=1:nonsense").status_code == 403


@pytest.mark.django_db
def test_an_expired_signature_is_refused(client, settings, monkeypatch):
    query = signing.signed_query("Default", PARAMS)
    later = time.time() + settings.PORTAL_SIGNATURE_MAX_AGE + 5
    monkeypatch.setattr(django_signing.time, "time", lambda: later)
    response = client.get(f"/portals/series?{query}")
    assert response.status_code == 403
    assert b"expired" in response.content


@pytest.mark.django_db
def test_without_login_or_signature_it_redirects_to_login(client):
    response = client.get("/portals/series", PARAMS)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_the_overview_and_the_list(operator_client):
    assert b"cpu e1" in operator_client.get("/portals/overview", {"entity": "e1"}).content
    listing = operator_client.get("/portals/").content.decode()
    assert "Default" in listing
    assert "Entity Overview" in listing


def test_the_threshold_of_a_simple_comparison():
    assert threshold_of("value > 80") == 80.0
    assert threshold_of("avg() >= 50.5") == 50.5
    assert threshold_of("value > 80 && count() > 2") is None


@pytest.mark.django_db
def test_the_chart_of_a_trigger_holds_its_window_even_before_history_flushes(operator_client):
    now = int(time.time() * 1000)
    snapshot = trigger(
        "walkthrough_open",
        {"metric": "cpu", "entity": "e1", "tags": {}, "window_tags": {},
         "times": [now - 500, now], "values": [77.25, 91.5]},
    )  # fmt: skip
    TriggerRecord.objects.create(
        event_id="0:1-0:0", rule="r", window_key="series-cpu-e1", status="OPEN",
        reason="evaluation", data=encode_trigger(snapshot),
    )  # fmt: skip
    page = operator_client.get("/portals/series", {**PARAMS, "trigger": "0:1-0:0"})
    chart = page.context["data"]["charts"][0]
    assert chart["values"][-2:] == [77.25, 91.5]  # the opening sample is on the chart
    assert 42.5 in chart["values"]  # beside what the history already had
