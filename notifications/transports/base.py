"""The transport contract every channel implements.

A transport turns one rendered notification into HTTP requests and reports each
outcome as a :class:`Delivery` or a :class:`TransportError`. The error says
whether retrying can help (``permanent``) and, for rate limits, when
(``retry_after_s``); the caller owns the retry policy and the delivery log
(``design.md`` invariant 2).

Every request that posts into a room carries a :class:`Footprint`: what the room
will show of it. The transport hands it to :attr:`HttpTransport.before_send` just
before the request leaves (so the delivery log has its row first), and a channel
whose service can list what a room received answers :meth:`Transport.arrivals`,
which is how a request whose answer was lost is looked for afterwards.
"""

from __future__ import annotations

import email.utils
import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

from notifications.http import HttpClient, HttpResult, NetworkError

#: Response headers that carry a Unix time at which a limit resets, each with
#: the "remaining" header of the same family (HipChat API v2 rate limits).
RESET_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Ratelimit-Reset", "X-Ratelimit-Remaining"),
    ("X-FloodControl-Reset", "X-FloodControl-Remaining"),
)


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

    def __repr__(self) -> str:
        kind = "permanent" if self.permanent else "transient"
        return f"TransportError({self.message!r}, {kind}, status={self.status})"


class HistoryUnavailable(Exception):
    """The service cannot tell what a room received (no such API, no scope, too busy)."""


@dataclass(frozen=True)
class Delivery:
    """A request that succeeded (any 2xx). ``message_id``: the service's id of the
    posted message when its answer carries one (HipChat's room message, Slack's ``ts``)."""

    status: int
    elapsed_ms: float
    response_text: str
    message_id: str = ""


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


class Transport:
    """One endpoint kind. Subclasses implement :meth:`send`."""

    def send(self, text: str, *, severity: str = "UNDEFINED") -> Delivery:
        """Deliver one text notification with the endpoint's configured options."""
        raise NotImplementedError

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


def retry_after_from_headers(headers: Mapping[str, str], now: float) -> float | None:
    """How long to wait before retrying, from rate-limit headers, or None.

    A limit family whose Remaining is 0 is the one that was hit; when no family
    says so (a 429 with budget left is HipChat's flood control, per HypChat's
    ``test_rate_limit.py``), the earliest announced reset is used. ``Retry-After``
    counts too; the longest wait wins.
    """
    exhausted: list[float] = []
    announced: list[float] = []
    for reset_name, remaining_name in RESET_HEADERS:
        raw = headers.get(reset_name)
        if raw is None:
            continue
        try:
            wait = max(0.0, float(raw) - now)
        except ValueError:
            continue
        announced.append(wait)
        if str(headers.get(remaining_name, "")).strip() == "0":
            exhausted.append(wait)
    candidates = exhausted or ([min(announced)] if announced else [])
    retry_after = parse_retry_after(headers.get("Retry-After", ""), now)
    if retry_after is not None:
        candidates.append(retry_after)
    return max(candidates) if candidates else None


class HttpTransport(Transport):
    """A transport speaking HTTP through :class:`HttpClient`.

    :meth:`request` classifies every outcome: 2xx → :class:`Delivery`; 429 →
    transient with ``retry_after_s``; 5xx and network errors → transient; any
    other status → permanent with the text from :meth:`error_text`.
    """

    #: Where the delivery log and errors call this channel.
    label = "HTTP"

    def __init__(self, client: HttpClient, *, clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self._clock = clock
        #: Called with the footprint of a request that posts into a room just before
        #: it leaves: the delivery log writes the request's row there.
        self.before_send: Callable[[Footprint], None] | None = None

    def error_text(self, result: HttpResult) -> str:
        """A short human message for a failed response; channels override this."""
        return f"Received status code {result.status}"

    def message_id(self, result: HttpResult) -> str:
        """The service's id of the message a 2xx ``result`` posted, or ``""``."""
        return ""

    def request(
        self, method: str, url: str, *, footprint: Footprint | None = None, **kwargs: Any
    ) -> Delivery:
        """Send one request and classify its outcome (see the class docstring).

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
        if 200 <= result.status < 300:
            return Delivery(
                result.status,
                result.elapsed_ms,
                self.client.redact(result.body_text),
                self.message_id(result),
            )
        self.raise_for_response(result)

    def raise_for_response(self, result: HttpResult) -> NoReturn:
        """Raise the :class:`TransportError` that describes a non-2xx ``result``."""
        status = result.status
        now = self._clock()
        transient = status == 429 or status >= 500
        # Rate-limit headers ride on every HipChat response; only a 429 means they bind.
        if status == 429:
            retry_after = retry_after_from_headers(result.headers, now)
        else:
            retry_after = parse_retry_after(result.headers.get("Retry-After", ""), now)
        message = self.client.redact(f"{self.label} error: {self.error_text(result)}")
        raise TransportError(
            message,
            permanent=not transient,
            status=status,
            retry_after_s=retry_after if transient else None,
            response_text=self.client.redact(result.body_text),
            elapsed_ms=result.elapsed_ms,
        )
