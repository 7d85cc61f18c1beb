"""The transport contract every channel implements.

A transport sends one endpoint's requests: :meth:`Transport.send_text` posts a
notification text, :meth:`Transport.send_file` shares a file (a details table, a
chart) where the service takes files. Each returns :class:`Sent` for a request the
service accepted or raises :class:`TransportError`, which says whether retrying can
help (``permanent``) and, for a rate limit, when (``retry_after_s``). The caller owns
the retry policy and the delivery log (``design.md`` invariant 2); the classification
of answers is shared by every channel (:func:`is_transient`, :meth:`HttpTransport.classify`),
and a channel overrides only what its service does differently: its error text, a
rate-limit signal in its own headers or body, or errors it answers with a 2xx.

Where an endpoint names several destinations (channels, recipients), :meth:`Transport.targets`
lists them and each request goes to one, so that every request has its own log row and
a retry resends only what did not arrive. A channel that signs its requests (an HMAC
header, AWS SigV4) builds the signature from the bytes it hands to :meth:`HttpTransport.request`.

Every request that posts into a room carries a :class:`Footprint`: what the room will
show of it. The transport hands it to :attr:`HttpTransport.before_send` just before
the request leaves (so the delivery log has its row first), and a channel whose
service can list what a room received answers :meth:`Transport.arrivals`, which is how
a request whose answer was lost is looked for afterwards.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Self

from notifications.channels.http import HttpClient, HttpResult, HttpSettings, NetworkError

#: The one place every channel's retries are decided. 429 Too Many Requests (RFC 6585 §4)
#: and the 5xx server errors (RFC 9110 §15.6) may succeed later; any other status means the
#: request itself is refused, and sending it again cannot help.
TOO_MANY_REQUESTS = 429


def is_transient(status: int) -> bool:
    """Whether a request answered ``status`` is worth sending again (429 and 5xx)."""
    return status == TOO_MANY_REQUESTS or status >= 500


class TransportError(Exception):
    """A request that did not succeed.

    ``permanent`` errors (4xx other than 429, configuration errors) must not be
    retried; transient ones (network errors, 5xx, 429) may be, not before
    ``retry_after_s`` seconds when that is set. ``status`` is the HTTP status or
    None when no response arrived. Texts never contain secrets.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        status: int | None = None,
        retry_after_s: float | None = None,
        response_text: str = "",
        elapsed_ms: float = 0.0,
        maybe_delivered: bool = False,
        held: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.status = status
        self.retry_after_s = retry_after_s
        self.response_text = response_text
        self.elapsed_ms = elapsed_ms
        #: No answer came, but the request may have reached the service (read timeout,
        #: connection dropped mid-answer): sending it again blindly could duplicate it.
        self.maybe_delivered = maybe_delivered
        #: Never sent: held back because a rate budget of the service is spent until
        #: ``retry_after_s`` (:mod:`notifications.channels.rate_budget`).
        self.held = held

    def __repr__(self) -> str:
        kind = "permanent" if self.permanent else "transient"
        return f"TransportError({self.message!r}, {kind}, status={self.status})"


class HistoryUnavailable(Exception):
    """The service cannot tell what a room received (no such API, no scope, too busy)."""


@dataclass(frozen=True)
class Sent:
    """A request the service accepted (any 2xx). ``message_id``: the service's id of the
    posted message when its answer carries one (HipChat's room message, Slack's ``ts``)."""

    status: int
    elapsed_ms: float
    response_text: str
    message_id: str = ""


@dataclass(frozen=True)
class Attachment:
    """A file to share: its name, bytes, MIME type and the caption shown with it."""

    name: str
    content: bytes
    content_type: str
    caption: str = ""


@dataclass(frozen=True)
class Footprint:
    """What one request leaves in a room, in the terms of the room's history.

    ``kind`` is the history's item type (HipChat: ``notification`` or ``message``),
    ``text`` the message as posted (after cutting to the service's limit),
    ``file_name`` the shared file's name. :meth:`digest` identifies equal footprints
    without storing the text.
    """

    room: str
    kind: str
    text: str
    file_name: str = ""

    def digest(self) -> str:
        raw = "\x1f".join((self.room, self.kind, self.text, self.file_name))
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()


#: The one destination of an endpoint that names no list of them.
SINGLE_TARGET = ""


class Transport:
    """One endpoint of one kind, configured and ready to send.

    Subclasses implement :meth:`configure`, :meth:`send_text` and, where the service
    takes files, :meth:`send_file`; one whose service can list what a room received
    implements :meth:`arrivals`.
    """

    #: Where the delivery log and errors call this channel.
    label: ClassVar[str] = "HTTP"
    #: The longest notification text the service takes (None: no limit); a longer one
    #: is cut, so a note that must survive the cut is placed within it.
    text_limit: ClassVar[int | None] = None
    #: The endpoint parameter that holds the notification text (HipChat ``message``,
    #: Slack and Telegram ``text``, Discord ``content``).
    text_parameter: ClassVar[str] = "message"
    #: The service takes the trigger's window fields, not a text (WEBHOOK): the text
    #: :meth:`send_text` gets is then their JSON object (spec §7.5), not a template's.
    sends_window_fields: ClassVar[bool] = False
    #: The kind's parameters describe a whole request (CUSTOM: URL, headers, body): render
    #: fills them through :meth:`render_request` instead of rendering a text.
    renders_request: ClassVar[bool] = False
    #: Called with the footprint of a request that posts into a room just before it
    #: leaves: the delivery log writes the request's row there.
    before_send: Callable[[Footprint], None] | None = None
    #: Other parameters whose placeholders are rendered for each send (a room, a sender).
    rendered_parameters: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def message_format(cls, parameters: Mapping[str, str]) -> str:
        """How the text is written for this service (``text``, ``html``, ``markdown``,
        ``pipe``): it decides how links and escapes are rendered. By default the
        endpoint's ``message_format`` parameter, ``text`` when blank."""
        return (parameters.get("message_format") or "text").strip().lower()

    @classmethod
    def configure(cls, parameters: Mapping[str, str], *, base_url: str, http: HttpSettings) -> Self:
        """The transport of one endpoint: its parameter values (rendered for this send),
        its endpoint URL (blank: the service's public one) and its network settings.

        Raises a permanent :class:`TransportError` when the values cannot send.
        """
        raise NotImplementedError

    @classmethod
    def render_request(
        cls,
        parameters: Mapping[str, str],
        render: Callable[[str, Callable[[str], str] | None, Mapping[str, str]], str],
    ) -> dict[str, str]:
        """``parameters`` with the request templates of a ``renders_request`` kind filled by
        ``render(template, escape, values)`` (the trigger's placeholders, ``values`` bound
        over its names, each value passed through ``escape``)."""
        raise NotImplementedError

    def answer_timeout_s(self) -> float:
        """How long a request may take before this transport stops waiting for its
        answer: how long after it left the service may still act on it."""
        raise NotImplementedError

    def targets(self) -> tuple[str, ...]:
        """The destinations one notification goes to, one request each; by default the
        endpoint's one destination (:data:`SINGLE_TARGET`)."""
        return (SINGLE_TARGET,)

    def send_text(
        self, text: str, *, severity: str = "UNDEFINED", target: str = SINGLE_TARGET
    ) -> Sent:
        """Post ``text`` to ``target`` with the endpoint's options; ``severity`` is the
        rule's (a colour or priority where the service has one)."""
        raise NotImplementedError

    def send_file(self, file: Attachment, *, target: str = SINGLE_TARGET) -> Sent:
        """Share ``file`` with ``target``; a permanent error where the service takes none."""
        raise TransportError(f"{self.label} endpoints cannot share files", permanent=True)

    def arrivals(self, digest: str, since: datetime) -> list[str]:
        """Ids of the room's messages since ``since`` whose footprint has ``digest``,
        oldest first (an empty id for a message the service gives none).

        Raises :class:`HistoryUnavailable` when the service cannot be asked, and
        :class:`TransportError` when asking failed.
        """
        raise HistoryUnavailable(f"{type(self).__name__} cannot list what a room received")


def parse_retry_after(value: str, now: float) -> float | None:
    """Seconds from ``now`` given a Retry-After value (delta seconds or HTTP date)."""
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def json_object(text: str) -> dict[str, Any] | None:
    """``text`` parsed as a JSON object (an answer's body), or None when it is not one."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class HttpTransport(Transport):
    """A transport speaking HTTP through :class:`HttpClient`.

    :meth:`request` sends and :meth:`classify` judges every answer: 2xx →
    :class:`Sent`; 429 and 5xx → transient, with :meth:`retry_after`; network errors →
    transient; any other status → permanent with the text from :meth:`error_text`.
    """

    def __init__(self, client: HttpClient, *, clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self._clock = clock
        self.before_send = None

    def answer_timeout_s(self) -> float:
        settings = self.client.settings
        return settings.connect_timeout_s + settings.read_timeout_s

    def error_text(self, result: HttpResult) -> str:
        """A short human message for a failed response; channels override this."""
        return f"Received status code {result.status}"

    def retry_after(self, result: HttpResult, now: float) -> float | None:
        """Seconds to wait before sending again after a transient ``result``, or None.

        The standard signal is the Retry-After header; a channel whose service says it
        elsewhere (rate-limit headers, a field of the body) overrides this.
        """
        return parse_retry_after(result.headers.get("Retry-After", ""), now)

    def observe(self, result: HttpResult) -> None:
        """Every answer passes here before it is judged: a channel whose service
        announces its rate limits in headers keeps what they say."""

    def message_id(self, result: HttpResult) -> str:
        """The service's id of the message a 2xx ``result`` posted, or ``""``."""
        return ""

    def classify(self, result: HttpResult) -> TransportError | None:
        """None when the service accepted the request, else the error describing it.

        A channel whose service reports some errors with a 2xx overrides this.
        """
        if 200 <= result.status < 300:
            return None
        transient = is_transient(result.status)
        message = self.client.redact(f"{self.label} error: {self.error_text(result)}")
        return TransportError(
            message,
            permanent=not transient,
            status=result.status,
            retry_after_s=self.retry_after(result, self._clock()) if transient else None,
            response_text=self.client.redact(result.body_text),
            elapsed_ms=result.elapsed_ms,
        )

    def request(
        self, method: str, url: str, *, footprint: Footprint | None = None, **kwargs: Any
    ) -> Sent:
        """Send one request; return :class:`Sent` or raise what :meth:`classify` found.

        ``footprint``: what the request leaves in the room, for :attr:`before_send`.
        """
        if footprint is not None and self.before_send is not None:
            self.before_send(footprint)
        try:
            result = self.client.request(method, url, **kwargs)
        except NetworkError as exc:
            raise TransportError(
                exc.message,
                permanent=False,
                status=None,
                elapsed_ms=exc.elapsed_ms,
                maybe_delivered=exc.request_sent,
            ) from None
        self.observe(result)
        error = self.classify(result)
        if error is not None:
            raise error
        return Sent(
            result.status,
            result.elapsed_ms,
            self.client.redact(result.body_text),
            self.message_id(result),
        )
