"""The fake Custom API enforces its contract: bodies that match their content type,
Basic credentials, token headers, AWS Signature Version 4, 429 with Retry-After."""

from __future__ import annotations

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from devtools.fakes.custom import AwsKey, CustomApi, running_custom_api

KEY = AwsKey("AKIDEXAMPLE", "secret-key-1", "eu-west-1", "sqs")


def test_json_and_form_bodies_must_match_their_content_type():
    with running_custom_api() as api:
        ok = requests.post(
            api.url + "/a",
            data=b'{"a": 1}',
            headers={"Content-Type": "application/json"},
            timeout=5,
        )
        bad = requests.post(
            api.url + "/a", data=b'{"a": ', headers={"Content-Type": "application/json"}, timeout=5
        )
        form = requests.post(
            api.url + "/a",
            data=b"no-pairs",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=5,
        )
        xml = requests.post(
            api.url + "/a", data=b"<a/>", headers={"Content-Type": "text/xml"}, timeout=5
        )
        get = requests.request("GET", api.url + "/a", data=b"x", timeout=5)
    assert [r.status_code for r in (ok, bad, form, xml, get)] == [201, 400, 400, 415, 400]
    assert "not JSON" in bad.json()["error"]


def test_basic_credentials_and_token_headers_are_required_when_configured():
    with running_custom_api(basic=("u", "p"), headers={"X-Token": "t"}) as api:
        good = requests.put(api.url, auth=("u", "p"), headers={"X-Token": "t"}, timeout=5)
        no_token = requests.put(api.url, auth=("u", "p"), timeout=5)
        wrong = requests.put(api.url, auth=("u", "x"), headers={"X-Token": "t"}, timeout=5)
    assert [r.status_code for r in (good, no_token, wrong)] == [200, 401, 401]


def _signed(url: str, body: bytes, secret: str) -> dict[str, str]:
    request = AWSRequest(
        "POST", url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    SigV4Auth(Credentials(KEY.access_key_id, secret), "sqs", "eu-west-1").add_auth(request)
    return dict(request.headers.items())


def test_aws_signature_v4_is_checked_against_the_request_that_arrived():
    with running_custom_api(aws=KEY) as api:
        body = b"Action=SendMessage&MessageBody=x"
        url = api.url + "/123/queue?Version=2012-11-05"
        good = requests.post(
            url, data=body, headers=_signed(url, body, KEY.secret_access_key), timeout=5
        )
        tampered = requests.post(
            url, data=body + b"y", headers=_signed(url, body, KEY.secret_access_key), timeout=5
        )
        wrong_key = requests.post(url, data=body, headers=_signed(url, body, "other"), timeout=5)
        unsigned = requests.post(
            url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=5
        )
    assert [r.status_code for r in (good, tampered, wrong_key, unsigned)] == [201, 403, 403, 401]
    assert "SignatureDoesNotMatch" in tampered.json()["error"]
    assert "MissingAuthenticationToken" in unsigned.json()["error"]


def test_a_scripted_rate_limit_is_429_with_retry_after():
    with running_custom_api() as api:
        api.script(CustomApi.rate_limited(retry_after=2))
        answer = requests.post(api.url, json={}, timeout=5)
        assert (answer.status_code, answer.headers["Retry-After"]) == (429, "2")
        assert requests.post(api.url, json={}, timeout=5).status_code == 201
