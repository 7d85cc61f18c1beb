"""AWS SNS (Publish) and SQS (SendMessage) through their query APIs, signed with SigV4.

botocore signs each request (``SigV4Auth``: the access key pair, the service and the
region); :mod:`notifications.channels.http` sends it, so proxies and TLS settings are
the endpoint's like every other channel's. Answers are XML: ``<MessageId>`` on
success, ``<ErrorResponse><Error><Code>`` on failure. AWS signals a rate limit with a
400 whose code is ``Throttling`` (SNS) or ``RequestThrottled`` (SQS) rather than a 429
(AWS "Error retries and exponential backoff", "Common Errors"): those codes are
transient like 429 and 5xx, and every other 4xx is permanent.

Neither service can say what a topic or queue received without consuming it, so
:meth:`Transport.arrivals` is not offered: an ambiguous answer (the connection dropped
after the request left) is sent again, at least once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Self
from urllib.parse import urlencode

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from lxml import etree

from notifications.channels.base import SINGLE_TARGET, HttpTransport, Sent, TransportError
from notifications.channels.http import HttpClient, HttpResult, HttpSettings
from notifications.rendering.truncate import cut_text

#: Error codes with which AWS answers a request it may accept later (HTTP 400 or 503).
THROTTLING_CODES = frozenset(
    {"Throttling", "ThrottlingException", "RequestThrottled", "TooManyRequestsException",
     "RequestLimitExceeded", "ServiceUnavailable", "InternalFailure", "InternalError"}
)  # fmt: skip
FORM = "application/x-www-form-urlencoded; charset=utf-8"


def _find(body: str, path: str) -> str:
    """The text at ``path`` of an XML answer, ``""`` when absent or not XML."""
    try:
        root = etree.fromstring(body.encode("utf-8"), etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError:
        return ""
    return (root.findtext(path) or "").strip()


def aws_error(body: str) -> tuple[str, str]:
    """``(code, message)`` of an AWS XML error body, ``("", "")`` when it is none."""
    return _find(body, ".//{*}Error/{*}Code"), _find(body, ".//{*}Error/{*}Message")


@dataclass(frozen=True)
class AwsConfig:
    """The values one AWS endpoint sends with."""

    region: str
    access_key_id: str
    secret_access_key: str = field(repr=False)
    base_url: str


class AwsQueryTransport(HttpTransport):
    """One signed ``Action`` of an AWS query API; subclasses name the service and build
    the action's parameters from the text."""

    service: ClassVar[str] = ""
    action: ClassVar[str] = ""
    api_version: ClassVar[str] = ""
    #: The parameter naming the topic or queue, and its label in the form.
    destination: ClassVar[tuple[str, str]] = ("", "")
    #: SNS and SQS take messages up to 256 KiB; cut below it, counting characters.
    text_limit = 65_536

    def __init__(self, config: AwsConfig, parameters: Mapping[str, str], client: HttpClient):
        super().__init__(client)
        self.config = config
        self.parameters = dict(parameters)

    @classmethod
    def configure(cls, parameters: Mapping[str, str], *, base_url: str, http: HttpSettings) -> Self:
        region = parameters.get("region", "").strip()
        key_id = parameters.get("accessKeyId", "").strip()
        secret = parameters.get("secretAccessKey", "").strip()
        if not region:
            raise TransportError(f"{cls.label}: Region is not set", permanent=True)
        if not key_id or not secret:
            raise TransportError(
                f"{cls.label}: Access Key ID and Secret Access Key are required", permanent=True
            )
        url = base_url.strip() or f"https://{cls.service}.{region}.amazonaws.com"
        key, label = cls.destination
        if not parameters.get(key, "").strip():
            raise TransportError(f"{cls.label}: {label} is not set", permanent=True)
        config = AwsConfig(region, key_id, secret, url.rstrip("/") + "/")
        return cls(config, parameters, HttpClient(http, secrets=(secret,)))

    def action_parameters(self, text: str) -> dict[str, str]:
        raise NotImplementedError

    def error_text(self, result: HttpResult) -> str:
        code, message = aws_error(result.body_text)
        if not code:
            return super().error_text(result)
        return (
            f"HTTP {result.status}: {code}: {message}"
            if message
            else f"HTTP {result.status}: {code}"
        )

    def classify(self, result: HttpResult) -> TransportError | None:
        error = super().classify(result)
        if (
            error is not None
            and error.permanent
            and aws_error(result.body_text)[0] in THROTTLING_CODES
        ):
            error.permanent = False
        return error

    def message_id(self, result: HttpResult) -> str:
        return _find(result.body_text, ".//{*}MessageId")

    def signed(self, body: bytes) -> dict[str, str]:
        """The headers of a POST of ``body``, SigV4-signed by botocore."""
        request = AWSRequest(
            method="POST", url=self.config.base_url, data=body, headers={"Content-Type": FORM}
        )
        credentials = Credentials(self.config.access_key_id, self.config.secret_access_key)
        SigV4Auth(credentials, self.service, self.config.region).add_auth(request)
        return dict(request.headers.items())

    def send_text(
        self, text: str, *, severity: str = "UNDEFINED", target: str = SINGLE_TARGET
    ) -> Sent:
        text = cut_text(text, self.text_limit)
        form = {"Action": self.action, "Version": self.api_version, **self.action_parameters(text)}
        body = urlencode(form).encode("utf-8")
        return self.request("POST", self.config.base_url, headers=self.signed(body), data=body)


class SnsTransport(AwsQueryTransport):
    """Publish the text to the endpoint's topic (with its subject, for e-mail subscribers)."""

    label = "AWS SNS"
    service = "sns"
    action = "Publish"
    api_version = "2010-03-31"
    destination = ("topicArn", "Topic ARN")

    def action_parameters(self, text: str) -> dict[str, str]:
        values = {"TopicArn": self.parameters["topicArn"].strip(), "Message": text}
        subject = self.parameters.get("subject", "").strip()
        if subject:
            values["Subject"] = subject
        return values


class SqsTransport(AwsQueryTransport):
    """Send the text as the body of a message to the endpoint's queue."""

    label = "AWS SQS"
    service = "sqs"
    action = "SendMessage"
    api_version = "2012-11-05"
    destination = ("queueUrl", "Queue URL")

    def action_parameters(self, text: str) -> dict[str, str]:
        return {"QueueUrl": self.parameters["queueUrl"].strip(), "MessageBody": text}
