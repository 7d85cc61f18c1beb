"""A fake Microsoft Teams Workflows webhook on loopback, for tests and dry runs.

It enforces what the documentation of the Workflows template "Send webhook alerts to a
channel" and of Adaptive Cards says a post must be, so the transport talks to it as to
a real workflow URL and never knows:

* ``POST /workflows/{id}/triggers/manual/paths/invoke?api-version=…&sp=…&sv=…&sig=…``:
  an unknown workflow is 404 ``WorkflowNotFound``; a missing or wrong ``sig`` 401
  ``DirectApiAuthorizationRequired`` / ``DirectApiInvalidAuthorizationSignature``;
* a JSON body (``application/json``, else 415) of ``{"type": "message",
  "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
  "content": <card>}]}`` (400 ``InvalidTemplate`` otherwise); the card: ``type``
  AdaptiveCard, a ``version`` Teams renders (1.0 to 1.5), a ``body`` of known
  elements, ``Action.OpenUrl`` actions with http(s) URLs;
* at most 28 KB (a Teams message's limit: a real workflow accepts the request and then
  fails its run; the fake answers 413 so that a test sees it);
* 202 Accepted with an empty body; a rate limit is 429 with ``Retry-After``
  (:meth:`TeamsFake.limit_posts`, or scripted with ``Reply.rate_limited``).

Typical use::

    with TeamsFake() as fake:                        # or the tests' ``teams_fake`` fixture
        url = fake.add_workflow("alerts")
        ...  # client posts the card to url
        [card] = fake.cards("alerts")
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from devtools.fakes.service import Answer, FakeService, Recorded, Refusal

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
VERSIONS = ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5")
MESSAGE_BYTES = 28 * 1024
ELEMENTS = frozenset(
    {"TextBlock", "Container", "ColumnSet", "Column", "FactSet", "Image", "ImageSet",
     "ActionSet", "RichTextBlock", "Table"}
)  # fmt: skip
_PREFIX = "/workflows/"
_SUFFIX = "/triggers/manual/paths/invoke"


@dataclass(frozen=True)
class Workflow:
    """A workflow posting to one channel; ``sig`` signs its URL."""

    id: str
    sig: str
    channel: str


def _error(status: int, code: str, message: str) -> Refusal:
    return Refusal(Answer(status, {"error": {"code": code, "message": message}}, accepted=False))


class TeamsFake(FakeService):
    """Workflows' HTTP trigger at ``{url}/workflows/{id}/triggers/manual/paths/invoke``."""

    name = "teams"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._workflows: dict[str, Workflow] = {}
        self._cards: dict[str, list[dict[str, Any]]] = {}
        self._limit: tuple[int, float] | None = None
        self._window: tuple[float, int] = (0.0, 0)

    def add_workflow(self, channel: str = "alerts") -> str:
        """A workflow posting to ``channel``; its URL, signature included."""
        workflow = Workflow(secrets.token_hex(16), secrets.token_urlsafe(32), channel)
        with self._lock:
            self._workflows[workflow.id] = workflow
            self._cards.setdefault(channel, [])
        return (
            f"{self.url}{_PREFIX}{workflow.id}{_SUFFIX}"
            f"?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={workflow.sig}"
        )

    def limit_posts(self, posts: int, per_s: float) -> None:
        """Answer 429 once ``posts`` posts arrived within ``per_s`` seconds."""
        self._limit = (posts, per_s)

    def cards(self, channel: str) -> list[dict[str, Any]]:
        """The Adaptive Cards posted to ``channel``, oldest first."""
        with self._lock:
            return [dict(c) for c in self._cards.get(channel, [])]

    # ------------------------------------------------------------- serving

    def handle(self, request: Recorded) -> Answer:
        path = request.path
        if not (path.startswith(_PREFIX) and path.endswith(_SUFFIX)):
            raise _error(404, "NotFound", "The requested resource does not exist.")
        with self._lock:
            workflow = self._workflows.get(path[len(_PREFIX) : -len(_SUFFIX)])
        if workflow is None:
            raise _error(404, "WorkflowNotFound", "The workflow could not be found.")
        sig = request.query.get("sig", "")
        if not sig:
            raise _error(401, "DirectApiAuthorizationRequired", "The request must be signed.")
        if not secrets.compare_digest(sig, workflow.sig):
            message = "The provided authorization signature is not valid."
            raise _error(401, "DirectApiInvalidAuthorizationSignature", message)
        if request.method != "POST":
            raise _error(405, "MethodNotAllowed", "Use POST.")
        if request.content_type != "application/json":
            raise _error(415, "UnsupportedMediaType", "The content type must be application/json.")
        if len(request.body) > MESSAGE_BYTES:
            raise _error(413, "MessageTooLarge", "A Teams message holds at most 28 KB.")
        card = _card(request.json)
        with self._lock:
            retry_after = self._count()
            if retry_after is None:
                self._cards[workflow.channel].append(card)
        if retry_after is not None:
            body = {"error": {"code": "TooManyRequests", "message": "Rate limit is exceeded."}}
            raise Refusal(Answer(429, body, {"Retry-After": str(retry_after)}, accepted=False))
        return Answer(202, b"")

    def _count(self) -> int | None:
        """Seconds to wait when the post is over the limit, else None (counted)."""
        if self._limit is None:
            return None
        posts, per_s = self._limit
        now = self.clock()
        started, count = self._window
        if now - started >= per_s:
            started, count = now, 0
        if count >= posts:
            self._window = (started, count)
            return max(1, int(started + per_s - now + 0.999))
        self._window = (started, count + 1)
        return None


def _invalid(message: str) -> Refusal:
    return _error(400, "InvalidTemplate", message)


def _card(message: Any) -> dict[str, Any]:
    """The Adaptive Card of a webhook message, or the 400 its shape earns."""
    if not isinstance(message, dict) or message.get("type") != "message":
        raise _invalid("The body must be a message: {'type': 'message', 'attachments': [...]}.")
    attachments = message.get("attachments")
    if not isinstance(attachments, list) or len(attachments) != 1:
        raise _invalid("The message must carry exactly one attachment.")
    attachment = attachments[0]
    if not isinstance(attachment, dict) or attachment.get("contentType") != CARD_TYPE:
        raise _invalid(f"The attachment's contentType must be {CARD_TYPE}.")
    card = attachment.get("content")
    if not isinstance(card, dict) or card.get("type") != "AdaptiveCard":
        raise _invalid("The attachment's content must be an AdaptiveCard.")
    if card.get("version") not in VERSIONS:
        raise _invalid(f"Card version {card.get('version')!r} is not one Teams renders.")
    body = card.get("body")
    if not isinstance(body, list) or not body:
        raise _invalid("The card has no body.")
    _check_elements(body)
    for action in card.get("actions") or []:
        url = str(action.get("url") or "") if isinstance(action, dict) else ""
        if action.get("type") != "Action.OpenUrl" or not url.startswith(("http://", "https://")):
            raise _invalid("Actions must be Action.OpenUrl with an http(s) url.")
    return card


def _check_elements(elements: list[Any]) -> None:
    for element in elements:
        if not isinstance(element, dict) or element.get("type") not in ELEMENTS:
            kind = element.get("type") if isinstance(element, dict) else element
            raise _invalid(f"Unknown card element {kind!r}.")
        if element["type"] == "TextBlock" and not element.get("text"):
            raise _invalid("A TextBlock needs text.")
        if isinstance(element.get("items"), list):
            _check_elements(element["items"])
