"""A fake HTTP API on loopback for CUSTOM endpoints: the contract of the APIs ATSD's
ready-made templates call (PagerDuty, Jenkins, GitHub, Zendesk, IFTTT, CircleCI, AWS).

* any path and method; ``HEAD``/``GET``/``DELETE`` must carry no body (400);
* a body must be what its ``Content-Type`` says: a JSON document for
  ``application/json``, ``name=value`` pairs for a form (400 otherwise, 415 for another
  type), at most ``max_bytes`` (413);
* authentication, as configured: ``basic=(user, password)`` requires that Basic
  ``Authorization``; ``headers={"Authorization": "Token token=…"}`` requires those
  header values (API tokens); ``aws=AwsKey(…)`` requires an AWS Signature Version 4
  over the method, path, query, signed headers and body, recomputed here with botocore
  from what arrived (401 when absent, 403 when it does not match, as AWS answers);
* scripted replies for rate limits (:meth:`CustomApi.rate_limited`: 429 with
  ``Retry-After``) and outages.

Accepted requests are listed by :meth:`CustomApi.received`.
"""

from __future__ import annotations

import base64
import hmac
import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from devtools.fakes.service import FRONT_END_MAX_BODY, Answer, FakeService, Recorded, Reply
from devtools.fakes.sigv4 import expected_signature

_SIGV4 = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, ?SignedHeaders=(?P<signed>[^,]+), ?"
    r"Signature=(?P<sig>[0-9a-f]+)"
)


@dataclass(frozen=True)
class AwsKey:
    """The access key the fake accepts SigV4 requests from, for ``region``/``service``."""

    access_key_id: str
    secret_access_key: str
    region: str = "us-east-1"
    service: str = "sqs"


class CustomApi(FakeService):
    """The fake API; see the module docstring for what it checks."""

    name = "custom"
    max_body = FRONT_END_MAX_BODY

    def __init__(
        self,
        port: int = 0,
        *,
        basic: tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        aws: AwsKey | None = None,
        max_bytes: int = 1 << 20,
    ) -> None:
        super().__init__(port=port)
        self.basic = basic
        self.required_headers = dict(headers or {})
        self.aws = aws
        self.max_bytes = max_bytes

    @staticmethod
    def rate_limited(retry_after: int = 1) -> Reply:
        return Reply.rate_limited(retry_after, {"error": "rate limited"})

    def received(self) -> list[Recorded]:
        return [r for r in self.log if r.accepted]

    def handle(self, record: Recorded) -> Answer:
        problem = self._auth_problem(record) or self._body_problem(record)
        if problem:
            return Answer(problem[0], {"error": problem[1]})
        return Answer(201 if record.method == "POST" else 200, {"ok": True})

    def _body_problem(self, record: Recorded) -> tuple[int, str] | None:
        if len(record.body) > self.max_bytes:
            return 413, "body too large"
        if record.method in ("GET", "HEAD", "DELETE"):
            return (400, f"{record.method} takes no body") if record.body else None
        content_type = record.header("Content-Type").split(";")[0].strip().lower()
        if not record.body:
            return None
        if content_type == "application/json":
            try:
                json.loads(record.body)
            except ValueError as exc:
                return 400, f"the body is not JSON: {exc}"
            return None
        if content_type == "application/x-www-form-urlencoded":
            text = record.body.decode("utf-8", "replace")
            if not all("=" in pair for pair in text.split("&")):
                return 400, "the body is not name=value pairs"
            return None
        return 415, f"unsupported content type {content_type!r}"

    def _auth_problem(self, record: Recorded) -> tuple[int, str] | None:
        for name, value in self.required_headers.items():
            if not hmac.compare_digest(record.header(name), value):
                return 401, f"{name} is missing or wrong"
        if self.basic is not None:
            expected = "Basic " + base64.b64encode(":".join(self.basic).encode()).decode()
            if not hmac.compare_digest(record.header("Authorization"), expected):
                return 401, "Basic credentials are missing or wrong"
        if self.aws is not None:
            return self._sigv4_problem(record, self.aws)
        return None

    def _sigv4_problem(self, record: Recorded, key: AwsKey) -> tuple[int, str] | None:
        match = _SIGV4.fullmatch(record.header("Authorization").strip())
        amz_date = record.header("X-Amz-Date")
        if match is None or not amz_date:
            return 401, "MissingAuthenticationToken: an AWS Signature Version 4 is required"
        if match["key"] != key.access_key_id:
            return 403, "InvalidClientTokenId: unknown access key"
        if (match["region"], match["service"]) != (key.region, key.service):
            return 403, "SignatureDoesNotMatch: wrong credential scope"
        expected = expected_signature(
            record,
            key_id=key.access_key_id,
            secret=key.secret_access_key,
            region=key.region,
            service=key.service,
            signed_headers=match["signed"].split(";"),
            amz_date=amz_date,
        )
        if not hmac.compare_digest(expected, match["sig"]):
            return 403, "SignatureDoesNotMatch: the signature does not match the request"
        return None


@contextmanager
def running_custom_api(**options: Any) -> Iterator[CustomApi]:
    """``with running_custom_api(basic=("u", "p")) as api: ...`` — started, then stopped."""
    with CustomApi(**options) as api:
        yield api
