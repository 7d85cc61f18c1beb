"""A fake of AWS SNS ``Publish`` and SQS ``SendMessage`` (query APIs) on loopback.

What it enforces, as AWS documents it ("Signature Version 4 signing process", the SNS
``Publish`` and SQS ``SendMessage`` API references, "Common Errors"):

* every request is signed with SigV4 (``Authorization: AWS4-HMAC-SHA256 Credential=…,
  SignedHeaders=…, Signature=…`` and ``X-Amz-Date``): the signature is computed again
  with botocore from the secret of the access key and compared; an unknown key is 403
  ``InvalidClientTokenId``, a wrong signature 403 ``SignatureDoesNotMatch``, a date more
  than 15 minutes off 403 ``SignatureDoesNotMatch`` (expired), a scope naming another
  service 403 ``SignatureDoesNotMatch``;
* ``Publish``: ``TopicArn`` of a known topic (404 ``NotFound``), a non-empty ``Message``
  of at most 256 KiB and a ``Subject`` of at most 100 characters (400
  ``InvalidParameter``); ``SendMessage``: ``QueueUrl`` of a known queue (400
  ``AWS.SimpleQueueService.NonExistentQueue``), a non-empty ``MessageBody`` of at most
  256 KiB (400 ``InvalidParameterValue``); any other action is 400 ``InvalidAction``;
* AWS's rate limit is not a 429: SNS answers 400 ``Throttling``, SQS 400
  ``RequestThrottled``; :meth:`AwsFake.script` queues such answers (:func:`throttled`,
  :func:`error_reply` for 5xx) for the next signed requests.

Accepted messages are kept per topic or queue (:meth:`AwsFake.messages`) with the id
returned to the client; every request is in :attr:`AwsFake.log` (``signer``: the access
key id; ``error``: the error code answered).
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from devtools.fakes.service import FRONT_END_MAX_BODY, Answer, FakeService, Recorded, Refusal, Reply
from devtools.fakes.sigv4 import expected_signature

ACCOUNT = "123456789012"
MAX_MESSAGE_BYTES = 256 * 1024
MAX_SUBJECT_CHARS = 100
MAX_SKEW_S = 15 * 60
SERVICE_OF_ACTION = {"Publish": "sns", "SendMessage": "sqs"}
XMLNS = {
    "sns": "http://sns.amazonaws.com/doc/2010-03-31/",
    "sqs": "http://queue.amazonaws.com/doc/2012-11-05/",
}
XML = {"Content-Type": "text/xml"}


def error_answer(status: int, code: str, message: str = "") -> Answer:
    """An AWS error answer: HTTP ``status`` with ``ErrorResponse`` ``code`` and ``message``."""
    kind = "Sender" if status < 500 else "Receiver"
    body = (
        f"<ErrorResponse><Error><Type>{kind}</Type><Code>{escape(code)}</Code>"
        f"<Message>{escape(message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )
    return Answer(status, body.encode(), dict(XML), accepted=False, error=code)


def error_reply(status: int, code: str, message: str = "") -> Reply:
    """:func:`error_answer` scripted for the next request."""
    return Reply(error_answer(status, code, message))


def throttled(service: str) -> Reply:
    """The rate-limit answer of ``service`` (``sns`` or ``sqs``)."""
    return error_reply(
        400, "Throttling" if service == "sns" else "RequestThrottled", "Rate exceeded"
    )


@dataclass
class Arrival:
    """A message a topic or queue accepted: its id, body and SNS subject."""

    message_id: str
    body: str
    subject: str = ""


class _Refused(Refusal):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(error_answer(status, code, message))


def _scope(authorization: str) -> tuple[str, str, str, list[str], str]:
    """``(key id, region, service, signed headers, signature)`` of an Authorization value."""
    algorithm, _, rest = authorization.partition(" ")
    if algorithm != "AWS4-HMAC-SHA256":
        raise _Refused(403, "IncompleteSignature", "Authorization must be AWS4-HMAC-SHA256")
    parts = dict(p.strip().partition("=")[::2] for p in rest.split(","))
    try:
        key_id, _date, region, service, _term = parts["Credential"].split("/")
        return key_id, region, service, parts["SignedHeaders"].split(";"), parts["Signature"]
    except (KeyError, ValueError):
        raise _Refused(
            403, "IncompleteSignature", "Credential, SignedHeaders and Signature are required"
        ) from None


class AwsFake(FakeService):
    """SNS and SQS on ``127.0.0.1``; point an endpoint's URL at :attr:`url`."""

    name = "aws"
    max_body = FRONT_END_MAX_BODY

    def __init__(self, port: int = 0) -> None:
        super().__init__(port=port)
        self.keys: dict[str, str] = {}
        self.destinations: dict[str, list[Arrival]] = {}

    @property
    def url(self) -> str:
        return super().url + "/"

    def add_key(self, access_key_id: str, secret_access_key: str) -> None:
        self.keys[access_key_id] = secret_access_key

    def add_topic(self, name: str, region: str = "us-east-1") -> str:
        """A topic; returns its ARN."""
        arn = f"arn:aws:sns:{region}:{ACCOUNT}:{name}"
        self.destinations.setdefault(arn, [])
        return arn

    def add_queue(self, name: str, region: str = "us-east-1") -> str:
        """A queue; returns its URL."""
        url = f"https://sqs.{region}.amazonaws.com/{ACCOUNT}/{name}"
        self.destinations.setdefault(url, [])
        return url

    def messages(self, arn_or_url: str) -> list[Arrival]:
        with self._lock:
            return list(self.destinations[arn_or_url])

    # ------------------------------------------------------------- serving

    def unauthorized(self, record: Recorded) -> Answer | None:
        try:
            record.signer = self._verify(record)
        except _Refused as refused:
            return refused.answer
        return None

    def handle(self, record: Recorded) -> Answer:
        return Answer(200, self._act(record).encode(), dict(XML))

    def _verify(self, record: Recorded) -> str:
        authorization = record.header("Authorization")
        if not authorization:
            raise _Refused(
                403, "MissingAuthenticationToken", "Request is missing Authentication Token"
            )
        key_id, region, service, signed, signature = _scope(authorization)
        secret = self.keys.get(key_id)
        if secret is None:
            raise _Refused(
                403,
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            )
        action = str(record.fields.get("Action", ""))
        if service != SERVICE_OF_ACTION.get(action, service):
            raise _Refused(
                403,
                "SignatureDoesNotMatch",
                f"Credential should be scoped to a valid service: {service}",
            )
        stamp = record.header("X-Amz-Date")
        try:
            when = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
        except ValueError:
            raise _Refused(403, "IncompleteSignature", "X-Amz-Date is required") from None
        if abs(time.time() - when) > MAX_SKEW_S:
            raise _Refused(403, "SignatureDoesNotMatch", "Signature expired")
        expected = expected_signature(
            record,
            key_id=key_id,
            secret=secret,
            region=region,
            service=service,
            signed_headers=signed,
            amz_date=stamp,
        )
        if not hmac.compare_digest(expected, signature):
            raise _Refused(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        return key_id

    def _act(self, record: Recorded) -> str:
        form = {k: str(v) for k, v in record.fields.items()}
        action = form.get("Action", "")
        if action == "Publish":
            name = form.get("TopicArn", "")
            text, subject = form.get("Message", ""), form.get("Subject", "")
            if name not in self.destinations:
                raise _Refused(404, "NotFound", "Topic does not exist")
            if not text:
                raise _Refused(400, "InvalidParameter", "Invalid parameter: Empty message")
            if len(text.encode("utf-8")) > MAX_MESSAGE_BYTES:
                raise _Refused(400, "InvalidParameter", "Invalid parameter: Message too long")
            if len(subject) > MAX_SUBJECT_CHARS:
                raise _Refused(400, "InvalidParameter", "Invalid parameter: Subject")
        elif action == "SendMessage":
            name, text, subject = form.get("QueueUrl", ""), form.get("MessageBody", ""), ""
            if name not in self.destinations:
                raise _Refused(
                    400,
                    "AWS.SimpleQueueService.NonExistentQueue",
                    "The specified queue does not exist.",
                )
            if not text or len(text.encode("utf-8")) > MAX_MESSAGE_BYTES:
                raise _Refused(
                    400, "InvalidParameterValue", "The message body must be 1 byte to 256 KiB."
                )
        else:
            raise _Refused(
                400, "InvalidAction", f"The action {action} is not valid for this endpoint."
            )
        arrival = Arrival(str(uuid.uuid4()), text, subject)
        with self._lock:
            self.destinations[name].append(arrival)
        # SQS answers with the MD5 of the body it stored (a checksum, not security).
        digest = hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
        extra = f"<MD5OfMessageBody>{digest}</MD5OfMessageBody>" if action == "SendMessage" else ""
        ns = XMLNS[SERVICE_OF_ACTION[action]]
        result = (
            f"<{action}Result>{extra}<MessageId>{arrival.message_id}</MessageId></{action}Result>"
        )
        meta = f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
        return f'<{action}Response xmlns="{ns}">{result}{meta}</{action}Response>'
