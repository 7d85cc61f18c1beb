"""AWS, Azure and GCP endpoints on the Web Notifications pages: imported, listed with
where they send, editable; the kinds without a sender marked "stored, not sent" (no
Test), SNS and SQS tested against the fake AWS."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from devtools.fakes.aws import AwsFake
from notifications.models import Endpoint
from tests.unit.channels.aws_common import fake_endpoint
from tests.unit.channels.cloud_fixture import CLOUD_FIXTURE

pytestmark = pytest.mark.django_db


def _import(client) -> str:
    upload = SimpleUploadedFile("cloud.xml", CLOUD_FIXTURE.read_bytes())
    response = client.post(reverse("endpoint-import"), {"file": upload})
    assert response.status_code == 200
    return response.content.decode()


def test_the_import_report_says_stored_not_sent_for_each_cloud_endpoint(admin_client):
    html = _import(admin_client)
    assert "3 imported, 0 unsupported" in html
    # AWS API has no sender; Azure Service Bus and GCP Pub/Sub send.
    assert html.count("stored, not sent") == 1


def test_the_list_shows_each_cloud_endpoint_with_its_target_and_status(
    operator_client, admin_client
):
    _import(admin_client)
    html = operator_client.get(reverse("endpoint-list")).content.decode()
    assert "https://sqs.eu-west-1.amazonaws.com · SendMessage" in html
    assert "shop · orders" in html
    assert "shop-prod · orders" in html
    assert html.count("(stored, not sent)") == 1


def test_the_edit_page_of_a_kind_without_sender_shows_the_fields_and_offers_no_test(
    admin_client,
):
    name = "aws-queue"
    _import(admin_client)
    endpoint = Endpoint.objects.get(name=name)
    html = admin_client.get(reverse("endpoint-edit", args=[endpoint.pk])).content.decode()
    assert 'id="stored-not-sent"' in html
    assert 'id="test-button"' not in html
    assert endpoint.base_url in html
    for secret in ("aws-secret-4c1d", "azure-key-77e0"):
        assert secret not in html


def test_an_admin_creates_an_sqs_endpoint_from_the_type_list(admin_client):
    html = admin_client.get(reverse("endpoint-choose-kind")).content.decode()
    assert reverse("endpoint-create", args=["AWS-SQS"]) in html
    response = admin_client.post(
        reverse("endpoint-create", args=["AWS-SQS"]),
        {
            "name": "orders",
            "enabled": "true",
            "param_region": "eu-west-1",
            "param_queueUrl": "https://sqs.eu-west-1.amazonaws.com/111122223333/orders",
            "editable_queueUrl": "on",
            "param_message": "${rule}",
            "editable_message": "on",
            "param_accessKeyId": "AKIDEXAMPLE",
            "param_secretAccessKey": "sqs-secret-3",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    endpoint = Endpoint.objects.get(name="orders")
    assert endpoint.parameter("secretAccessKey") == "sqs-secret-3"
    assert endpoint.editable_keys() == ["queueUrl", "message"]


def test_test_on_an_sns_endpoint_publishes_hello_with_the_stored_secret(admin_client):
    with AwsFake() as fake:
        endpoint, topic = fake_endpoint(fake, "AWS-SNS")
        page = admin_client.get(reverse("endpoint-edit", args=[endpoint.pk])).content.decode()
        assert 'id="test-button"' in page
        assert 'id="stored-not-sent"' not in page
        shown = {k: v for k, v in endpoint.parameter_values().items() if k != "secretAccessKey"}
        data = {"name": "aws", "enabled": "true", "base_url": fake.url,
                **{f"param_{k}": v for k, v in shown.items()}}  # fmt: skip
        answer = admin_client.post(reverse("endpoint-test", args=[endpoint.pk]), data).json()
        assert answer["ok"] is True, answer
        assert [a.body for a in fake.messages(topic)] == ["Hello from Axibase Time Series Database"]
