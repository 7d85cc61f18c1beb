"""CUSTOM endpoints in ``*-notification.xml``: ATSD's ready-made templates from the
corpus import, and re-export to the same endpoint in ATSD's own shape."""

from pathlib import Path

import pytest
from lxml import etree

from notifications.endpoints.xml import export_endpoints, import_endpoints
from notifications.models import Endpoint
from tests.corpus import corpus_file
from tests.unit.channels.custom.helpers import CORPUS, TEMPLATES

pytestmark = pytest.mark.django_db

FIELDS = (
    "name",
    "kind",
    "enabled",
    "log_response",
    "ignore_ssl_errors",
    "description",
    "parameters",
)


def _corpus(template: str) -> Path:
    return corpus_file(CORPUS / f"custom-{template}-notification.xml")


def _snapshot(endpoint: Endpoint) -> dict:
    return {f: getattr(endpoint, f) for f in FIELDS}


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_ready_made_template_imports_and_re_exports_to_the_same_endpoint(template):
    report = import_endpoints(_corpus(template).read_bytes())
    assert [(i.kind, i.outcome) for i in report.items] == [("CUSTOM", "created")]
    endpoint = Endpoint.objects.get()
    before = _snapshot(endpoint)
    data = export_endpoints(Endpoint.objects.all(), include_secrets=True)
    Endpoint.objects.all().delete()
    import_endpoints(data)
    assert _snapshot(Endpoint.objects.get()) == before


def test_the_jenkins_template_keeps_its_request_and_exposes_its_form_fields():
    import_endpoints(_corpus("jenkins").read_bytes())
    endpoint = Endpoint.objects.get(name="jenkins-notif")
    values = endpoint.parameter_values()
    assert values["url"] == "https://jenkins.example.org/job/${job_name}/buildWithParameters"
    assert (values["method"], values["auth_type"], values["username"]) == (
        "POST",
        "BASIC",
        "username",
    )
    assert values["body"] == "timezone=Etc%2FUTC&run_extra_tests=false"
    assert values["password"] == "111111"
    assert set(endpoint.editable_keys()) == {"job_name", "timezone", "run_extra_tests"}
    [element] = etree.fromstring(export_endpoints([endpoint]))
    assert element.find("type") is None
    assert element.findtext("contentType") == "application/x-www-form-urlencoded"
    assert element.findtext("password") == ""
    exposed = [s.text for s in element.find("exposedTableModelParams").findall("string")]
    assert exposed == ["run_extra_tests", "timezone"]


def test_pagerduty_placeholders_are_rule_keys_though_the_file_exposes_none():
    import_endpoints(_corpus("pagerduty").read_bytes())
    endpoint = Endpoint.objects.get()
    assert endpoint.editable_keys() == ["incident_name", "service_id", "detailsTable('ascii')"]
    assert "\r" not in endpoint.parameter("body")
    [element] = etree.fromstring(export_endpoints([endpoint]))
    assert element.find("exposedTableModelParams").findall("string") == []


def test_link_type_is_kept_when_the_element_has_one_and_not_added_when_it_has_none():
    element = (
        "<list><com.axibase.tsd.model.notifications.WebNotificationConfig>"
        "<enabled>true</enabled><name>{name}</name><method>POST</method>"
        "<contentType>application/json</contentType><url>https://api.example.org/x</url>"
        "<body>{{}}</body><authType>NONE</authType>{link}"
        "</com.axibase.tsd.model.notifications.WebNotificationConfig></list>"
    )
    with_link = element.format(name="linked", link="<linkType>NONE</linkType>")
    without = element.format(name="plain", link="")
    import_endpoints(with_link.encode())
    import_endpoints(without.encode())
    assert Endpoint.objects.get(name="linked").parameter("link_type") == "NONE"
    exported = etree.fromstring(export_endpoints(Endpoint.objects.order_by("name")))
    linked, plain = exported
    assert linked.findtext("linkType") == "NONE"
    assert plain.find("linkType") is None
