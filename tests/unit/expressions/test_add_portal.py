"""addPortal(): a notification text asks for a portal screenshot (spec §4.6 SHOULD)."""

from __future__ import annotations

import pytest

from notifications.rendering import PortalRequest, render_message
from notifications.screenshots.charts import requested_charts
from rules.expressions.errors import EvaluationError
from tests.unit.expressions.helpers import ev
from tests.unit.rendering.fixtures import info, trigger


@pytest.fixture(autouse=True)
def server_url(settings):
    settings.SERVER_URL = "https://atsd.example.org"


def rendered(template: str, **extra):
    return render_message(template, trigger("jvm_open"), info(**extra), now_ms=0)


def test_add_portal_asks_for_the_screenshot_and_leaves_no_text():
    result = rendered("Memory ${addPortal('Entity Overview', 'nurswgvml007')}.")
    assert result.text == "Memory ."
    assert result.errors == []
    assert result.portals == [
        PortalRequest(2, "nurswgvml007", "Entity Overview for nurswgvml007", {})
    ]


def test_add_portal_defaults_to_the_alert_entity_and_label_and_takes_caption_and_params():
    t = trigger("jvm_open")
    [default] = rendered("${addPortal('Default')}", entity_label="ATSD Host").portals
    assert default == PortalRequest(1, t.entity, "Default for ATSD Host", {})
    [custom] = rendered("${addPortal('2', '', 'Heap', ['start': '0'])}").portals
    assert custom == PortalRequest(2, t.entity, "Heap", {"start": "0"})


def test_an_unknown_portal_is_a_placeholder_error_naming_the_portals():
    result = rendered("${addPortal('AWS Route53 Health Check Detail', 'e1')}")
    assert result.text == "${addPortal('AWS Route53 Health Check Detail', 'e1')}"
    [error] = result.errors
    assert "no portal 'AWS Route53 Health Check Detail' here" in error.message
    assert "Default, Entity Overview" in error.message
    assert result.portals == []


def test_requested_portals_become_charts_once_each():
    t = trigger("jvm_open")
    requests = [
        PortalRequest(2, "e1", "Overview of e1", {"start": "5"}),
        PortalRequest(2, "e1", "Overview of e1", {"start": "5"}),
        PortalRequest(1, t.entity, "Default for it", {}),
    ]
    overview, default = requested_charts(t, requests, event_id="ev-1")
    assert (overview.portal.name, overview.caption) == ("Entity Overview", "Overview of e1")
    assert overview.params["entity"] == "e1"
    assert overview.params["start"] == "5"
    assert overview.link == "https://atsd.example.org/portals/overview?entity=e1"
    assert default.params["trigger"] == "ev-1"
    assert default.params["metric"] == t.metric


def test_add_portal_outside_a_notification_is_an_error():
    with pytest.raises(EvaluationError, match="only available in notification texts"):
        ev("addPortal('Default')")
