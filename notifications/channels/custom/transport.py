"""CUSTOM: one HTTP request per notification, as the endpoint describes it (spec §7.5).

The delivery's render stage fills the endpoint's URL, headers and body for the trigger
(:func:`notifications.channels.custom.request.render_request`, through
:meth:`CustomTransport.render_request`); this transport sends them. The text a send
carries is only the request's preview: the request is the endpoint's. **Test** sends the
request as configured, its placeholders unfilled.

Methods without a body (GET, HEAD, DELETE) carry a form body's fields as the query
string. Authentication: ``BASIC`` (username and password), ``AWS_SIGNATURE_V4``
(username = access key id, password = secret access key, signed by botocore's
``SigV4Auth`` over the exact bytes sent; region and service from the
``<service>.<region>.amazonaws.com`` host unless set), or tokens written as headers.
Any 2xx is success. The API behind an endpoint cannot be asked what it received: a
request whose answer was lost is sent again (at least once).
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from notifications.channels.base import (
    SINGLE_TARGET,
    Footprint,
    HttpTransport,
    Sent,
    TransportError,
)
from notifications.channels.custom.request import (
    AUTH_TYPES,
    BODY_METHODS,
    CONTENT_TYPES,
    FORM,
    JSON,
    METHODS,
    Render,
    header_lines,
    render_request,
)
from notifications.channels.http import HttpClient, HttpResult, HttpSettings

FOOTPRINT_KIND = "request"
_AWS_HOST = re.compile(
    r"(?P<service>[a-z0-9-]+)(?:\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d))?\.amazonaws\.com$"
)


@dataclass(frozen=True)
class CustomConfig:
    """One CUSTOM request with its templates filled."""

    url: str
    method: str = "POST"
    content_type: str = JSON
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""
    auth_type: str = "NONE"
    username: str = ""
    password: str = field(default="", repr=False)
    aws_region: str = ""
    aws_service: str = ""
    http: HttpSettings = field(default_factory=HttpSettings)

    @classmethod
    def from_parameters(
        cls, parameters: Mapping[str, str], *, http: HttpSettings | None = None
    ) -> CustomConfig:
        return cls(
            url=parameters.get("url", "").strip(),
            method=parameters.get("method", "").strip().upper() or "POST",
            content_type=parameters.get("content_type", "").strip() or JSON,
            headers=tuple(header_lines(parameters.get("headers", ""))),
            body=parameters.get("body", ""),
            auth_type=parameters.get("auth_type", "").strip().upper() or "NONE",
            username=parameters.get("username", ""),
            password=parameters.get("password", ""),
            aws_region=parameters.get("aws_region", "").strip(),
            aws_service=parameters.get("aws_service", "").strip(),
            http=http or HttpSettings(),
        )

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.password,) if s)


def aws_scope(config: CustomConfig) -> tuple[str, str]:
    """(region, service) to sign for: the endpoint's, else from the AWS host name."""
    match = _AWS_HOST.search(urlsplit(config.url).hostname or "")
    region = config.aws_region or (match and match["region"]) or "us-east-1"
    service = config.aws_service or (match and match["service"]) or ""
    if not service:
        raise TransportError(
            "AWS_SIGNATURE_V4: set the AWS service (the URL is not an AWS host)", permanent=True
        )
    return region, service


class CustomTransport(HttpTransport):
    """Sends the endpoint's request; any 2xx is success."""

    label = "Custom"
    renders_request = True

    def __init__(
        self,
        config: CustomConfig,
        *,
        client: HttpClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        problems = [
            (not urlsplit(config.url).scheme.startswith("http"), "URL must be http:// or https://"),
            (config.method not in METHODS, f"unknown method {config.method!r}"),
            (config.content_type not in CONTENT_TYPES, f"unknown type {config.content_type!r}"),
            (config.auth_type not in AUTH_TYPES, f"unknown authentication {config.auth_type!r}"),
        ]
        for failed, message in problems:
            if failed:
                raise TransportError(f"Custom endpoint: {message}", permanent=True)
        super().__init__(client or HttpClient(config.http, secrets=config.secrets()), clock=clock)
        self.config = config

    @classmethod
    def configure(
        cls, parameters: Mapping[str, str], *, base_url: str, http: HttpSettings
    ) -> CustomTransport:
        return cls(CustomConfig.from_parameters(parameters, http=http))

    def error_text(self, result: HttpResult) -> str:
        """``HTTP <status>: <the start of the API's answer>``: APIs differ in error shapes."""
        answer = " ".join(result.body_text.split())[:300]
        return f"HTTP {result.status}: {answer}" if answer else super().error_text(result)

    @classmethod
    def render_request(cls, parameters: Mapping[str, str], render: Render) -> dict[str, str]:
        return render_request(parameters, render)

    def prepared(self) -> tuple[str, dict[str, str], bytes | None]:
        """(URL, headers, body bytes) of the request, authenticated."""
        config = self.config
        url, body = config.url, config.body.encode("utf-8")
        headers = dict(config.headers)
        if config.method in BODY_METHODS:
            headers.setdefault("Content-Type", config.content_type)
        else:
            if config.content_type == FORM and config.body.strip():
                parts = urlsplit(url)
                query = "&".join(q for q in (parts.query, config.body.strip()) if q)
                url = urlunsplit(parts._replace(query=query))
            body = b""
        if config.auth_type == "BASIC":
            pair = f"{config.username}:{config.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        elif config.auth_type == "AWS_SIGNATURE_V4":
            headers = self.signed(url, headers, body)
        return url, headers, (body or None)

    def signed(self, url: str, headers: dict[str, str], body: bytes) -> dict[str, str]:
        """``headers`` plus SigV4's (Authorization, X-Amz-Date, …) over these bytes."""
        config = self.config
        if not (config.username and config.password):
            raise TransportError(
                "AWS_SIGNATURE_V4 needs the access key id (username) and secret key (password)",
                permanent=True,
            )
        region, service = aws_scope(config)
        request = AWSRequest(method=config.method, url=url, data=body, headers=headers)
        SigV4Auth(Credentials(config.username, config.password), service, region).add_auth(request)
        return dict(request.headers.items())

    def send_text(
        self, text: str, *, severity: str = "UNDEFINED", target: str = SINGLE_TARGET
    ) -> Sent:
        """Send the endpoint's request (``text`` is its preview, see the module docstring)."""
        url, headers, body = self.prepared()
        preview = (body or b"").decode("utf-8", "replace")
        footprint = Footprint(f"{self.config.method} {url}", FOOTPRINT_KIND, preview)
        return self.request(
            self.config.method, url, headers=headers, data=body, footprint=footprint
        )
