"""Acknowledge links: the signed token a notification carries to acknowledge its alert.

The token names one alert episode (rule, window key, episode) and is signed with the
server's secret key under a salt of its own, so that no other signed value of the
project can stand for it, and it is timestamped with the trigger's time, so that it
expires (``ACK_LINK_MAX_AGE_HOURS`` after the trigger) and a message rendered again
(a retry) carries the same link. The link works without a login for that one action; the
page it opens (rules.alerts.ack_links) asks for a confirmation before acknowledging.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing

SALT = "atsd_alerts.acknowledge-link"
PATH_PREFIX = "/alerts/ack/"


class AckLinkError(ValueError):
    """A token that is not ours, was altered, or has expired (``expired``)."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class AckTarget:
    """The alert episode a token acknowledges."""

    rule: str
    window_key: str
    episode: int


class _SignedAt(signing.TimestampSigner):
    """A timestamp signer whose timestamp is a given time instead of the clock's."""

    def __init__(self, at_s: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.at_s = at_s

    def timestamp(self) -> str:
        return signing.b62_encode(self.at_s)


def ack_token(rule: str, window_key: str, episode: int, signed_at_ms: int) -> str:
    """The signed token for one alert episode, timestamped ``signed_at_ms`` (URL-safe)."""
    signer = _SignedAt(signed_at_ms // 1000, salt=SALT)
    return signer.sign_object({"r": rule, "w": window_key, "e": episode}, compress=True)


def read_ack_token(token: str, max_age_s: int | None = None) -> AckTarget:
    """The episode ``token`` names; ``AckLinkError`` when it is altered or expired."""
    if max_age_s is None:
        max_age_s = settings.ACK_LINK_MAX_AGE_HOURS * 3600
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age_s)
    except signing.SignatureExpired:
        raise AckLinkError("this acknowledge link has expired", expired=True) from None
    except signing.BadSignature:
        raise AckLinkError("this acknowledge link is not valid") from None
    try:
        return AckTarget(str(data["r"]), str(data["w"]), int(data["e"]))
    except (KeyError, TypeError, ValueError):
        raise AckLinkError("this acknowledge link is not valid") from None


def ack_url(server_url: str, rule: str, window_key: str, episode: int, signed_at_ms: int) -> str:
    """The absolute acknowledge link of an episode on the server at ``server_url``."""
    token = ack_token(rule, window_key, episode, signed_at_ms)
    return f"{server_url.rstrip('/')}{PATH_PREFIX}{token}/"
