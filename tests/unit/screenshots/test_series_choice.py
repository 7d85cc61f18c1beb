"""The Test Portal charts what the user means (issue 14 item 9): Send Screenshot's
series picker lists the recorded series most recently active first, defaults to the
newest series of the users' data, and charts the server's own metrics only when chosen."""

from __future__ import annotations

import time

import pytest
import redis as redis_lib
from django.core.exceptions import ValidationError
from django.urls import reverse

from notifications.channels.hipchat.form import HipChatEndpointForm
from notifications.models import Endpoint
from notifications.portals import catalog
from notifications.screenshots import series_choice
from notifications.screenshots.charts import trial_chart
from rules.events import SERIES, Event
from rules.history import recorder
from rules.ingest.pipeline import server_event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def history(redis_url, settings):
    """User series fed a minute and half a minute ago, then a self-metric now."""
    settings.REDIS_URL = redis_url
    settings.SERVER_URL = "https://atsd.example.org"
    client = redis_lib.Redis.from_url(redis_url.replace("redis+socket://", "unix://", 1))
    for key in client.scan_iter(match="hist:*"):
        client.delete(key)
    recorder.forget_known()
    now = int(time.time() * 1000)
    for metric, ago, tags in (("temperature", 60_000, {"room": "a b"}), ("humidity", 30_000, {})):
        at = now - ago
        event = Event(
            kind=SERIES, entity="br-1905", metric=metric, tags=tags, time_ms=at, receive_ms=at,
            value=20.0, line_values={metric: 20.0},
        )  # fmt: skip
        recorder.write([event])
    # Written as the hand-off would, without registering names in this test's database.
    recorder.write([server_event("web_service_notifications_per_minute", 0.0)])


def test_the_picker_defaults_to_the_newest_user_series_and_marks_the_servers_own():
    choices = series_choice.choices()
    assert choices[0] == ("", "Most recent user series: humidity · br-1905")
    assert [label for _, label in choices[1:]] == [
        "web_service_notifications_per_minute · atsd (this server)",
        "humidity · br-1905",
        "temperature · br-1905 {room=a b}",
    ]


def test_a_chosen_value_names_its_series_and_the_default_none():
    value, _ = series_choice.choices()[3]
    chosen = series_choice.parse(value)
    assert (chosen.metric, chosen.entity, chosen.tags) == (
        "temperature",
        "br-1905",
        {"room": "a b"},
    )
    assert series_choice.parse("") is None
    assert series_choice.parse("entity=only") is None


def test_send_screenshot_charts_the_users_series_by_default_and_the_servers_when_chosen():
    portal = catalog.by_name(catalog.DEFAULT)
    default = trial_chart(portal, None)
    assert (default.params, default.caption) == (
        {"metric": "humidity", "entity": "br-1905"}, "Default for br-1905",
    )  # fmt: skip
    own_value = series_choice.choices()[1][0]
    own = trial_chart(portal, series_choice.parse(own_value))
    assert own.params == {"metric": "web_service_notifications_per_minute", "entity": "atsd"}


def test_the_endpoint_form_offers_the_picker_and_accepts_a_choice():
    form = HipChatEndpointForm(instance=Endpoint(kind="HIPCHAT"))
    assert form.fields["test_series"].choices == series_choice.choices()
    assert "Most recent user series: humidity · br-1905" in form.as_p()
    field = form.fields["test_series"]
    no_longer_listed = "metric=pressure&entity=br-0001"
    assert field.clean(no_longer_listed) == no_longer_listed
    with pytest.raises(ValidationError):
        field.clean("entity=without-a-metric")


def test_the_endpoint_page_shows_the_picker(admin_client):
    html = admin_client.get(reverse("endpoint-create", args=["HIPCHAT"])).content.decode()
    assert 'name="test_series"' in html
    assert "temperature · br-1905 {room=a b}" in html
