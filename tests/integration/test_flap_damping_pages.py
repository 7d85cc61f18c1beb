"""Flap damping on the pages: the rule editor's setting, the Open Alerts badge and the
history marks."""

from __future__ import annotations

import pytest
from django.urls import reverse

from rules.models import Rule
from tests.factories import make_alert, make_history

pytestmark = pytest.mark.django_db

RULE_POST = {
    "name": "door_flaps",
    "enabled": "on",
    "metric": "door_open",
    "time_filter_count": "0",
    "time_filter_unit": "SECOND",
    "group_by_entity": "on",
    "tags_grouping_strategy": "ALL_TAGS",
    "window": "count(1)",
    "expression": "value > 0",
    "severity": "WARNING",
}


def test_the_editor_stores_flap_damping_and_shows_it_again(admin_client):
    data = RULE_POST | {
        "flap_damping": "on", "flap_changes": "3", "flap_period_count": "15",
        "flap_period_unit": "MINUTE",
    }  # fmt: skip
    response = admin_client.post(reverse("rule-create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = Rule.objects.get(name="door_flaps")
    assert (rule.flap_damping, rule.flap_changes, rule.flap_period_count) == (True, 3, 15)
    page = admin_client.get(reverse("rule-edit", args=[rule.pk])).content.decode()
    assert "Flap damping" in page
    assert 'name="flap_changes" value="3"' in page


def test_a_post_without_the_flap_fields_keeps_the_defaults(admin_client):
    response = admin_client.post(reverse("rule-create"), RULE_POST)
    assert response.status_code == 302
    rule = Rule.objects.get(name="door_flaps")
    assert (rule.flap_damping, rule.flap_changes, rule.flap_period_count) == (False, 5, 10)


def test_the_editor_refuses_zero_changes(admin_client):
    data = RULE_POST | {"flap_damping": "on", "flap_changes": "0"}
    page = admin_client.post(reverse("rule-create"), data).content.decode()
    assert "greater than or equal to 1" in page
    assert not Rule.objects.exists()


def test_open_alerts_marks_a_flapping_alert(operator_client):
    make_alert(rule="door_flaps", flapping=True)
    make_alert(rule="disk_low", window_key="other")
    page = operator_client.get(reverse("open-alerts")).content.decode()
    assert page.count('class="flap-badge"') == 1


def test_history_marks_the_start_the_quiet_changes_and_the_end(operator_client):
    for i, mark in enumerate(("started", "ongoing", "ended")):
        make_history(event_id=f"e{i}", flapping=mark)
    page = operator_client.get(reverse("alert-history")).content.decode()
    for css, label in (("started", "flapping"), ("ongoing", "flapping, not sent"),
                       ("ended", "stable")):  # fmt: skip
        assert f'<span class="flap-badge flap-{css}">{label}</span>' in page
