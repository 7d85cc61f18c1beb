"""CustomTransport against the fake API on loopback (real HTTP): methods, bodies, BASIC
and AWS Signature Version 4 (botocore's signer), errors."""

from __future__ import annotations

from typing import Any

import pytest

from devtools.fakes.custom import AwsKey, CustomApi, running_custom_api
from notifications.channels.base import Footprint, HistoryUnavailable, TransportError
from notifications.channels.custom.transport import CustomConfig, CustomTransport, aws_scope
from notifications.channels.http import HttpSettings

KEY = AwsKey("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "sqs")
FORM = "application/x-www-form-urlencoded"


def transport(url: str, **options: Any) -> CustomTransport:
    return CustomTransport(CustomConfig(url=url, http=HttpSettings(read_timeout_s=5), **options))


def test_a_json_post_carries_its_headers_and_body():
    with running_custom_api(headers={"Authorization": "Token token=1111111"}) as api:
        headers = (("Authorization", "Token token=1111111"), ("Accept", "application/vnd+json"))
        sent = transport(f"{api.url}/incidents", headers=headers, body='{"a": 1}').send_text("x")
        [request] = api.received()
    assert sent.status == 201
    assert (request.method, request.path, request.json) == ("POST", "/incidents", {"a": 1})
    assert request.header("Content-Type") == "application/json"
    assert request.header("Accept") == "application/vnd+json"


def test_basic_authentication_and_a_put():
    with running_custom_api(basic=("user@mail.com", "pw:1")) as api:
        t = transport(f"{api.url}/r/1.json", method="PUT", auth_type="BASIC",
                      username="user@mail.com", password="pw:1", body="{}")  # fmt: skip
        assert t.send_text("x").status == 200
        wrong = transport(api.url, auth_type="BASIC", username="user@mail.com", password="no")
        with pytest.raises(TransportError) as caught:
            wrong.send_text("x")
    assert caught.value.permanent
    assert caught.value.status == 401
    assert "Basic credentials" in caught.value.message


def test_a_form_body_is_signed_with_aws_signature_v4():
    with running_custom_api(aws=KEY) as api:
        t = transport(api.url + "/", content_type=FORM, body="Action=SendMessage&MessageBody=hi",
                      auth_type="AWS_SIGNATURE_V4", username=KEY.access_key_id,
                      password=KEY.secret_access_key, aws_service="sqs")  # fmt: skip
        t.send_text("x")
        [request] = api.received()
    assert request.header("Authorization").startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert request.fields == {"Action": "SendMessage", "MessageBody": "hi"}


def test_a_wrong_aws_secret_is_refused_with_aws_s_error():
    with running_custom_api(aws=KEY) as api:
        t = transport(api.url + "/", content_type=FORM, body="Action=SendMessage",
                      auth_type="AWS_SIGNATURE_V4", username=KEY.access_key_id,
                      password="not-the-secret", aws_service="sqs")  # fmt: skip
        with pytest.raises(TransportError) as caught:
            t.send_text("x")
    assert (caught.value.permanent, caught.value.status) == (True, 403)
    assert "SignatureDoesNotMatch" in caught.value.message
    assert "not-the-secret" not in caught.value.message


def test_the_region_and_service_come_from_an_aws_host():
    sqs = CustomConfig(url="https://sqs.eu-west-2.amazonaws.com/123/q")
    assert aws_scope(sqs) == ("eu-west-2", "sqs")
    assert aws_scope(CustomConfig(url="https://iam.amazonaws.com")) == ("us-east-1", "iam")
    with pytest.raises(TransportError, match="set the AWS service"):
        aws_scope(CustomConfig(url="http://127.0.0.1:9/"))


def test_a_get_carries_the_form_fields_as_its_query_and_no_body():
    with running_custom_api() as api:
        transport(f"{api.url}/build?token=t", method="GET", content_type=FORM,
                  body="job=a+b&run=1").send_text("x")  # fmt: skip
        [request] = api.received()
    assert request.query == {"token": "t", "job": "a b", "run": "1"}
    assert request.body == b""


def test_429_waits_for_retry_after_and_the_footprint_is_the_request():
    with running_custom_api() as api:
        api.script(CustomApi.rate_limited(retry_after=5))
        url = f"{api.url}/hook"
        t = transport(url, body="{}")
        seen: list[Footprint] = []
        t.before_send = seen.append
        with pytest.raises(TransportError) as caught:
            t.send_text("x")
    assert (caught.value.permanent, caught.value.retry_after_s) == (False, 5)
    assert seen == [Footprint(f"POST {url}", "request", "{}")]
    with pytest.raises(HistoryUnavailable):
        t.arrivals("digest", since=None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"url": "ftp://x"}, "URL must be http"),
        ({"url": "https://x", "method": "TRACE"}, "unknown method"),
        ({"url": "https://x", "auth_type": "DIGEST"}, "unknown authentication"),
        ({"url": "https://x", "content_type": "text/xml"}, "unknown type"),
    ],
)
def test_configuration_errors_are_permanent(options, message):
    with pytest.raises(TransportError, match=message) as caught:
        CustomTransport(CustomConfig(**options))
    assert caught.value.permanent
