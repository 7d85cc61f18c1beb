"""The acknowledge link page: no login, a GET confirms, a POST acknowledges once, every
opening is logged, and a bad link gets a page that says why."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse

from rules.alerts.retention import expire_records
from rules.contract.ack_links import PATH_PREFIX, ack_token
from rules.models import AckLinkUse, Alert
from tests.factories import make_alert

pytestmark = pytest.mark.django_db

AGENT = "Mozilla/5.0 (chat preview test)"


def _link(alert: Alert, *, age_s: int = 0) -> str:
    at = int(time.time() * 1000) - age_s * 1000
    return f"{PATH_PREFIX}{ack_token(alert.rule, alert.window_key, alert.episode, at)}/"


def _uses() -> list[tuple[str, str]]:
    return list(AckLinkUse.objects.order_by("id").values_list("outcome", "method"))


def test_a_get_shows_the_alert_and_acknowledges_nothing(client):
    alert = make_alert()
    response = client.get(_link(alert), HTTP_USER_AGENT=AGENT, REMOTE_ADDR="10.1.2.3")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="ack-confirm"' in page
    assert alert.rule in page
    alert.refresh_from_db()
    assert not alert.acknowledged
    use = AckLinkUse.objects.get()
    assert (use.outcome, use.method, use.address, use.user_agent) == (
        "VIEWED", "GET", "10.1.2.3", AGENT,
    )  # fmt: skip
    assert (use.rule, use.window_key, use.episode) == (alert.rule, alert.window_key, alert.episode)


def test_a_post_acknowledges_once_and_again_changes_nothing(client):
    alert = make_alert()
    link = _link(alert)
    first = client.post(link, HTTP_USER_AGENT=AGENT)
    assert 'id="ack-done"' in first.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged
    second = client.post(link, HTTP_USER_AGENT=AGENT)
    assert 'id="ack-already"' in second.content.decode()
    assert client.get(link).status_code == 200
    assert _uses() == [("ACKNOWLEDGED", "POST"), ("ALREADY", "POST"), ("ALREADY", "GET")]


def test_the_link_acknowledges_only_its_own_episode(client):
    alert = make_alert()
    link = _link(alert)
    Alert.objects.filter(pk=alert.pk).update(episode=alert.episode + 1)  # reopened since
    page = client.post(link).content.decode()
    assert 'id="ack-closed"' in page
    alert.refresh_from_db()
    assert not alert.acknowledged
    assert _uses() == [("CLOSED", "POST")]


def test_an_expired_link_gets_a_clear_page(client, settings):
    settings.ACK_LINK_MAX_AGE_HOURS = 1
    alert = make_alert()
    response = client.post(_link(alert, age_s=2 * 3600))
    assert response.status_code == 410
    assert "This acknowledge link has expired." in response.content.decode()
    alert.refresh_from_db()
    assert not alert.acknowledged
    assert _uses() == [("EXPIRED", "POST")]


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_link_gets_a_clear_page(client, method):
    alert = make_alert()
    link = _link(alert)
    tampered = link[:-8] + ("x" if link[-8] != "x" else "y") + link[-7:]
    response = getattr(client, method)(tampered)
    assert response.status_code == 400
    assert "This acknowledge link is not valid." in response.content.decode()
    alert.refresh_from_db()
    assert not alert.acknowledged
    assert _uses() == [("INVALID", method.upper())]


def test_other_methods_are_refused(client):
    assert client.put(_link(make_alert())).status_code == 405


def test_the_confirmation_post_needs_the_pages_csrf_token():
    strict = Client(enforce_csrf_checks=True)
    alert = make_alert()
    link = _link(alert)
    assert strict.post(link).status_code == 403  # a forged form on another page
    page = strict.get(link).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert strict.post(link, {"csrfmiddlewaretoken": token}).status_code == 200
    alert.refresh_from_db()
    assert alert.acknowledged


def test_a_new_hipchat_room_message_carries_the_link(admin_client):
    page = admin_client.get(reverse("endpoint-create", args=["HIPCHAT"])).content.decode()
    assert "${ruleLink} ${ackLink}</textarea>" in page


def test_the_log_of_openings_is_bounded(client, settings):
    settings.ACK_LINK_USES_KEPT = 3
    for _ in range(5):
        client.get(f"{PATH_PREFIX}not-a-token/")
    expire_records()
    assert AckLinkUse.objects.count() == 3
    assert set(AckLinkUse.objects.values_list("outcome", flat=True)) == {"INVALID"}


def test_the_alert_page_lists_who_opened_its_link(operator_client):
    alert = make_alert()
    Client().post(_link(alert), HTTP_USER_AGENT=AGENT, REMOTE_ADDR="10.9.8.7")  # no login
    page = operator_client.get(reverse("alert-detail", args=[alert.pk])).content.decode()
    table = page.split('id="alert-ack-link-uses"')[1].split("</table>")[0]
    assert "<td>Acknowledged</td><td>POST</td><td>10.9.8.7</td>" in table
    assert AGENT in table
