"""The GCP-PS form: topic and message editable in rules by default, the service account's
key write-only and checked."""

import pytest

from notifications.channels.gcp_ps.form import GcpPubSubEndpointForm
from notifications.models import Endpoint
from tests.unit.channels.gcp_common import service_account

pytestmark = pytest.mark.django_db


def test_a_new_form_makes_topic_and_message_editable_and_saves_in_form_order():
    blank = GcpPubSubEndpointForm(instance=Endpoint(kind="GCP-PS"))
    assert blank.initial["editable_topic"] is True
    assert blank.initial["editable_projectId"] is False
    form = GcpPubSubEndpointForm(
        {
            "name": "gcp",
            "enabled": "true",
            "base_url": "https://pubsub.googleapis.com/v1/projects/p/topics/t:publish",
            "param_projectId": "p",
            "param_topic": "t",
            "editable_topic": "on",
            "param_serviceAccountKey": service_account().key_file,
            "param_message": "${rule}",
            "editable_message": "on",
        },
        instance=Endpoint(kind="GCP-PS"),
    )
    assert form.is_valid(), form.errors
    endpoint = form.save()
    assert endpoint.parameter_values() == {
        "projectId": "p", "topic": "t", "serviceAccount": "", "privateKeyAlias": "",
        "serviceAccountKey": service_account().key_file, "message": "${rule}",
    }  # fmt: skip
    assert endpoint.editable_keys() == ["topic", "message"]
    assert service_account().key_file not in GcpPubSubEndpointForm(instance=endpoint).as_p()


@pytest.mark.parametrize(("key", "problem"), [("", "required"), ("not json", "not JSON")])
def test_a_missing_or_malformed_service_account_key_is_refused(key, problem):
    form = GcpPubSubEndpointForm(
        {"name": "gcp", "enabled": "true", "param_projectId": "p", "param_topic": "t",
         "param_serviceAccountKey": key},
        instance=Endpoint(kind="GCP-PS"),
    )  # fmt: skip
    assert not form.is_valid()
    assert problem in form.errors["param_serviceAccountKey"][0]
