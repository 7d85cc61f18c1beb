"""Password authentication that remembers a verified username/password pair briefly.

Each password check costs 0.35-0.7 s of CPU (Django's PBKDF2 work factor), and ATSD
collectors send HTTP basic credentials with every request. A pair that passed the
check is remembered for ``BASIC_AUTH_CACHE_SECONDS`` in this process's memory under a
keyed hash (HMAC with ``SECRET_KEY``) of the pair: neither the password nor an
unkeyed hash of it is ever kept. The remembered entry names the user and a keyed
fingerprint of their stored password hash, so a password change or a deactivation
takes effect at once.

This backend stands after axes' backend in ``AUTHENTICATION_BACKENDS``: a locked-out
address or username is refused before the cache is consulted, so the cache never
answers guesses during a lockout.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import caches
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare, salted_hmac

CACHE = "verified-credentials"
_PAIR_SALT = "atsd_alerts.credentials.pair"
_HASH_SALT = "atsd_alerts.credentials.stored-hash"


def pair_key(username: str, password: str) -> str:
    """The cache key of a username/password pair: HMAC-SHA256 keyed by ``SECRET_KEY``."""
    message = f"{len(username)}:{username}:{password}"
    return "pair:" + salted_hmac(_PAIR_SALT, message, algorithm="sha256").hexdigest()


def _fingerprint(stored_hash: str) -> str:
    return salted_hmac(_HASH_SALT, stored_hash, algorithm="sha256").hexdigest()


class RecentlyVerifiedBackend(ModelBackend):
    """``ModelBackend`` that skips the password hash for a pair verified moments ago."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None or password is None:
            return super().authenticate(request, username, password, **kwargs)
        cache = caches[CACHE]
        key = pair_key(username, password)
        remembered = cache.get(key)
        if remembered is not None:
            user = self._still_valid(remembered)
            if user is not None:
                return user
            cache.delete(key)
        user = super().authenticate(request, username, password, **kwargs)
        if user is not None:
            cache.set(key, (user.pk, _fingerprint(user.password)))
        return user

    def _still_valid(self, remembered: tuple[Any, str]) -> Any:
        pk, fingerprint = remembered
        user = get_user_model()._default_manager.filter(pk=pk).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        if not constant_time_compare(fingerprint, _fingerprint(user.password)):
            return None
        return user
