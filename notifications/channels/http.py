"""The one module that owns outbound HTTP for notification transports.

Every request an endpoint sends goes through :class:`HttpClient`: timeouts, proxy
(``http``, ``https``, ``socks5``, optional credentials) and TLS verification come
from :class:`HttpSettings`, never from the process environment, so what the
administrator configured on the endpoint is what happens. Unit tests replace this
module; integration tests point it at fake servers on loopback.

Connections are kept alive and reused: every thread of a notify worker keeps one
session per network configuration (:func:`pooled_session`), whose connection pool
holds the open connections per host, so a burst of sends to one service pays for its
TCP and TLS handshakes once, not once per notification.

Secrets never leave this module in clear text: exception messages and log lines
pass through :func:`redact`, which hides ``Authorization`` values, ``auth_token``
query parameters, URL credentials and any secret string the caller registered.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import requests
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import NewConnectionError

logger = logging.getLogger(__name__)

REDACTED = "[redacted]"

_QUERY_SECRET = re.compile(r"(?i)((?:auth_token|access_token|token)=)[^&#\s'\"]+")
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s'\",}]+")
# Bounded scheme and userinfo, the scheme starting a word: unbounded runs backtrack
# quadratically over a long body without "://" (a 40 000-character echo took seconds).
_URL_USERINFO = re.compile(r"(?i)(?<![a-z0-9+.-])([a-z][a-z0-9+.-]{0,31}://)[^/@\s'\"]{1,512}@")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Return ``text`` with tokens, ``auth_token=`` values and URL credentials hidden.

    ``secrets`` are exact strings (tokens, proxy passwords) replaced wherever they
    occur; empty strings are ignored.
    """
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    text = _QUERY_SECRET.sub(rf"\1{REDACTED}", text)
    text = _BEARER.sub(rf"\1{REDACTED}", text)
    return _URL_USERINFO.sub(rf"\1{REDACTED}@", text)


@dataclass(frozen=True)
class HttpSettings:
    """Network settings of one endpoint.

    ``verify_tls`` false accepts any certificate (the endpoint's *Ignore SSL
    errors*); ``ca_bundle`` is a PEM file of trusted CAs used instead of the
    system store when verification is on.
    """

    connect_timeout_s: float = 5.0
    read_timeout_s: float = 20.0
    proxy_url: str = ""
    proxy_username: str = ""
    proxy_password: str = field(default="", repr=False)
    verify_tls: bool = True
    ca_bundle: str = ""

    def secrets(self) -> tuple[str, ...]:
        """Strings that must never appear in errors or logs."""
        return tuple(s for s in (self.proxy_password,) if s)


@dataclass(frozen=True)
class HttpResult:
    """A response of any status: classifying it is the transport's job."""

    status: int
    headers: Mapping[str, str]
    body_text: str
    elapsed_ms: float


class NetworkError(Exception):
    """No HTTP response: DNS, connect, TLS, proxy, timeout or a dropped connection.

    ``kind`` is one of ``timeout``, ``tls``, ``proxy``, ``connection``. The message
    is already redacted. ``request_sent`` is False only when the failure came before
    the request could leave (no connection, TLS handshake, proxy); a read timeout
    or a connection dropped while waiting for the answer leaves it unknown whether
    the server acted on the request.
    """

    def __init__(
        self, message: str, *, kind: str, elapsed_ms: float, request_sent: bool = True
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.elapsed_ms = elapsed_ms
        self.request_sent = request_sent


def proxy_url_with_credentials(settings: HttpSettings) -> str:
    """The proxy URL with username/password (percent-encoded) as userinfo, or ""."""
    if not settings.proxy_url:
        return ""
    if not settings.proxy_username:
        return settings.proxy_url
    parts = urlsplit(settings.proxy_url)
    userinfo = quote(settings.proxy_username, safe="")
    if settings.proxy_password:
        userinfo += ":" + quote(settings.proxy_password, safe="")
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, f"{userinfo}@{host}", parts.path, parts.query, ""))


def new_session(settings: HttpSettings) -> requests.Session:
    """A session configured by ``settings`` alone.

    ``trust_env`` is off: environment proxies, ``REQUESTS_CA_BUNDLE`` and
    ``.netrc`` would silently override the endpoint's own configuration.
    """
    session = requests.Session()
    session.trust_env = False
    proxy = proxy_url_with_credentials(settings)
    if proxy:
        session.proxies = {"http": proxy, "https": proxy}
    if not settings.verify_tls:
        session.verify = False
    elif settings.ca_bundle:
        session.verify = settings.ca_bundle
    return session


_local = threading.local()


def pooled_session(settings: HttpSettings) -> requests.Session:
    """This thread's session for ``settings``: its connections stay open between
    requests (keep-alive, one pool per host). Per thread and process: a forked child
    never reuses its parent's sockets. Cookies are refused: what one endpoint's
    service sets must not ride along to another endpoint with the same settings."""
    pid = os.getpid()
    sessions: dict[HttpSettings, requests.Session] | None = getattr(_local, "sessions", None)
    if sessions is None or getattr(_local, "pid", None) != pid:
        sessions = _local.sessions = {}
        _local.pid = pid
    session = sessions.get(settings)
    if session is None:
        session = sessions[settings] = new_session(settings)
        session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return session


def _classify(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return "timeout"
    if isinstance(exc, requests.exceptions.SSLError):
        return "tls"
    if isinstance(exc, requests.exceptions.ProxyError):
        return "proxy"
    return "connection"


def _request_sent(exc: requests.RequestException) -> bool:
    """Whether the request may have reached the server before ``exc`` ended it."""
    if isinstance(
        exc,
        requests.exceptions.ConnectTimeout
        | requests.exceptions.SSLError
        | requests.exceptions.ProxyError,
    ):
        return False
    if isinstance(exc, requests.ConnectionError) and exc.args:
        # urllib3 wraps a failed connect in MaxRetryError(reason=NewConnectionError).
        reason = getattr(exc.args[0], "reason", exc.args[0])
        if isinstance(reason, NewConnectionError):
            return False
    return True


class HttpClient:
    """Sends requests for one endpoint and returns :class:`HttpResult`.

    Raises :class:`NetworkError` when no response arrived. Redirects are not
    followed: an API answering 3xx is misconfigured, and following would resend
    the body elsewhere.
    """

    def __init__(
        self,
        settings: HttpSettings,
        *,
        secrets: Iterable[str] = (),
        session: requests.Session | None = None,
    ) -> None:
        self.settings = settings
        self._secrets = (*settings.secrets(), *(s for s in secrets if s))
        self._pooled = session is None
        self._session = session or pooled_session(settings)

    def redact(self, text: str) -> str:
        """Redact ``text`` with this client's registered secrets."""
        return redact(text, self._secrets)

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        data: bytes | None = None,
    ) -> HttpResult:
        """Send one request; return the response whatever its status."""
        timeout = (self.settings.connect_timeout_s, self.settings.read_timeout_s)
        started = time.monotonic()
        try:
            response = self._session.request(
                method,
                url,
                headers=dict(headers or {}),
                params=dict(params or {}),
                json=json,
                data=data,
                timeout=timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            elapsed_ms = (time.monotonic() - started) * 1000
            kind = _classify(exc)
            message = self.redact(f"{kind} error on {method} {url}: {exc}")
            logger.warning("%s", message)
            raise NetworkError(
                message, kind=kind, elapsed_ms=elapsed_ms, request_sent=_request_sent(exc)
            ) from None
        elapsed_ms = (time.monotonic() - started) * 1000
        logger.debug("%s %s -> %s", method, self.redact(url), response.status_code)
        return HttpResult(
            status=response.status_code,
            headers=CaseInsensitiveDict(response.headers),
            body_text=response.text,
            elapsed_ms=elapsed_ms,
        )

    def close(self) -> None:
        """Release the connections of a session given to this client; the thread's
        pooled session stays open for the next request."""
        if not self._pooled:
            self._session.close()
