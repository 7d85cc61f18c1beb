"""Password guessing is throttled per address and per username (django-axes), and a
collector's HTTP basic credentials are checked once per cache period, not per request."""

from __future__ import annotations

import base64
import pickle
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.cache import caches
from django.utils import timezone

from atsd_alerts.credentials import CACHE

pytestmark = pytest.mark.django_db

COMMAND = "/api/v1/command"
LINE = "series e:throttle-test m:cpu=1"


@pytest.fixture(autouse=True)
def empty_credentials_cache():
    caches[CACHE].clear()
    yield
    caches[CACHE].clear()


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def post_command(client, username: str, password: str, address: str = "127.0.0.1"):
    return client.post(
        COMMAND,
        LINE,
        content_type="text/plain",
        HTTP_AUTHORIZATION=basic(username, password),
        REMOTE_ADDR=address,
    )


def test_twelfth_wrong_password_is_locked_out(client, collector, broker):
    answers = [post_command(client, "collector", f"guess-{n}").status_code for n in range(12)]
    assert answers[:9] == [401] * 9
    assert answers[9:] == [429, 429, 429]
    locked = post_command(client, "collector", "pw-collector")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == 15 * 60
    assert "Too many failed sign-in attempts" in locked.json()["error"]


def test_guessing_one_username_from_many_addresses_is_locked_out(client, collector, broker):
    for n in range(10):
        post_command(client, "collector", "wrong", address=f"192.0.2.{n + 1}")
    assert post_command(client, "collector", "pw-collector", "198.51.100.7").status_code == 429


def test_guessing_many_usernames_from_one_address_is_locked_out(
    client, collector, operator, broker
):
    for n in range(10):
        post_command(client, f"user-{n}", "wrong", address="203.0.113.9")
    assert post_command(client, "collector", "pw-collector", "203.0.113.9").status_code == 429
    # Another address and another username are not affected.
    assert post_command(client, "oscar", "pw-oscar", "203.0.113.10").status_code == 403


def test_lockout_ends_after_the_cool_off(client, collector, broker):
    for n in range(10):
        post_command(client, "collector", f"guess-{n}")
    assert post_command(client, "collector", "pw-collector").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert post_command(client, "collector", "pw-collector").status_code == 200


def test_login_page_guessing_is_locked_out(client, operator):
    for n in range(10):
        response = client.post("/login/", {"username": "oscar", "password": f"guess-{n}"})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    response = client.post("/login/", {"username": "oscar", "password": "pw-oscar"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_admin_login_guessing_is_locked_out(client, administrator):
    administrator.is_staff = True
    administrator.save()
    for n in range(10):
        client.post("/admin/login/", {"username": "alice", "password": f"guess-{n}"})
    response = client.post("/admin/login/", {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_right_password_after_a_few_typos_signs_in(client, operator):
    for n in range(3):
        client.post("/login/", {"username": "oscar", "password": f"typo-{n}"})
    response = client.post("/login/", {"username": "oscar", "password": "pw-oscar"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="oscar").exists()


# -- verified basic credentials are remembered briefly --------------------------------------


class CountingHasher(PBKDF2PasswordHasher):
    """Django's PBKDF2 hasher (the real check) that counts how often it verifies."""

    verified = 0

    def verify(self, password: str, encoded: str) -> bool:
        type(self).verified += 1
        return super().verify(password, encoded)


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    CountingHasher.verified = 0
    return CountingHasher


def test_a_collector_sending_basic_auth_per_request_pays_one_password_check(
    client, collector, broker, counting_hasher
):
    answers = [post_command(client, "collector", "pw-collector").status_code for _ in range(5)]
    assert answers == [200] * 5
    assert counting_hasher.verified == 1


def test_remembered_credentials_hold_no_password(client, collector, broker):
    assert post_command(client, "collector", "pw-collector").status_code == 200
    store = caches[CACHE]._cache  # LocMemCache: key -> pickled value
    assert store
    for key, value in store.items():
        assert "pw-collector" not in key
        assert b"pw-collector" not in value
        assert "pw-collector" not in repr(pickle.loads(value))  # noqa: S301 - our own cache


def test_a_wrong_password_is_never_answered_from_the_cache(client, collector, broker):
    assert post_command(client, "collector", "pw-collector").status_code == 200
    assert post_command(client, "collector", "pw-collectorX").status_code == 401


def test_a_password_change_ends_remembered_credentials_at_once(client, collector, broker):
    assert post_command(client, "collector", "pw-collector").status_code == 200
    collector.set_password("a-new-password")
    collector.save()
    assert post_command(client, "collector", "pw-collector").status_code == 401


def test_a_deactivated_user_is_refused_despite_remembered_credentials(client, collector, broker):
    assert post_command(client, "collector", "pw-collector").status_code == 200
    collector.is_active = False
    collector.save()
    assert post_command(client, "collector", "pw-collector").status_code == 401


def test_remembered_credentials_do_not_open_a_locked_out_account(client, collector, broker):
    assert post_command(client, "collector", "pw-collector").status_code == 200
    for n in range(10):
        post_command(client, "collector", f"guess-{n}", address="192.0.2.50")
    assert post_command(client, "collector", "pw-collector").status_code == 429
