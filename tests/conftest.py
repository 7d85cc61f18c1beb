"""Shared fixtures: a real Redis broker, real Celery workers, users with roles."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import Group, User

from atsd_alerts.accounts import ADMINISTRATORS, COLLECTORS, OPERATORS
from atsd_alerts.celery import app as celery_app
from devtools.fakes.discord import DiscordFake
from devtools.fakes.hipchat import HipChatFake, running_fake
from devtools.fakes.slack import SlackFake
from devtools.fakes.smtp import SmtpServer
from devtools.fakes.teams import TeamsFake
from notifications.tasks import NOTIFY_QUEUE
from rules.partition.tasks import engine_queue
from tests.services import redis_service
from tests.workers import running_worker

SMTP_LOGIN = "alerts"
SMTP_PASSWORD = "mail-secret-42"


@pytest.fixture(scope="session", autouse=True)
def redis_url():
    # The suite's Redis is a throw-away without an append-only file (speed): processes
    # the tests start skip the start-up check that refuses such a server. The check has
    # tests of its own (tests/integration/test_redis_check.py), and the `make run`
    # stacks the tests start (tests/faults/stack.py) run it on their own Redis.
    os.environ["REDIS_CONFIG_CHECK"] = "false"
    settings.REDIS_CONFIG_CHECK = False
    with redis_service() as url:
        celery_app.conf.broker_url = url
        # Remote control listens on a Redis pub/sub connection whose blocking read can
        # keep an in-process test worker from stopping; tests never use it.
        celery_app.conf.worker_enable_remote_control = False
        settings.REDIS_URL = url  # the engine's own Redis keys live beside the broker's
        yield url


@pytest.fixture
def broker(redis_url):
    """An empty broker and engine: queues, checkpoints and in-memory partitions cleared."""
    from tests.engine_helpers import reset_engine

    redis.Redis.from_url(redis_url.replace("redis+socket://", "unix://", 1)).flushdb()
    reset_engine()
    return redis_url


@pytest.fixture
def engine_worker(broker, transactional_db):
    """One real Celery worker consuming every engine partition queue."""
    queues = [engine_queue(p) for p in range(settings.ENGINE_PARTITIONS)]
    with running_worker(queues, shutdown_timeout=10) as worker:
        yield worker


@pytest.fixture
def notify_worker(broker, transactional_db, hipchat_fake):
    """One real Celery worker on the notify queue (solo pool), as `celery worker -Q notify`.

    It depends on the fake so that it stops first: a send in flight then still finds
    its server instead of waiting on a socket being closed.
    """
    with running_worker([NOTIFY_QUEUE], shutdown_timeout=30) as worker:
        yield worker


def _user(username: str, group: str | None) -> User:
    user = User.objects.create_user(username=username, password="pw-" + username)
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


@pytest.fixture
def administrator(db) -> User:
    return _user("alice", ADMINISTRATORS)


@pytest.fixture
def operator(db) -> User:
    return _user("oscar", OPERATORS)


@pytest.fixture
def collector(db) -> User:
    return _user("collector", COLLECTORS)


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture
def pattern_limit():
    """``pattern_limit(n)`` sets the wildcard pattern length limit (the app applies
    WILDCARD_PATTERN_MAX_LENGTH once at start) for one test; None lifts it."""
    from rules import wildcards

    previous = wildcards.max_length()
    yield wildcards.set_max_length
    wildcards.set_max_length(previous)


@pytest.fixture
def hipchat_fake() -> Iterator[HipChatFake]:
    """A started plain-HTTP fake HipChat server, stopped after the test."""
    with running_fake() as fake:
        yield fake


@pytest.fixture
def hipchat_tls_fake() -> Iterator[HipChatFake]:
    """A started HTTPS fake HipChat server with a self-signed cert (``fake.ca_bundle``)."""
    with running_fake(tls=True) as fake:
        yield fake


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on loopback: plain, login ``alerts`` / ``mail-secret-42``."""
    with SmtpServer(login=SMTP_LOGIN, password=SMTP_PASSWORD) as server:
        yield server


@pytest.fixture
def slack_fake() -> Iterator[SlackFake]:
    """A started fake Slack Web API (``fake.api_url`` is the endpoint URL), stopped after."""
    with SlackFake() as fake:
        yield fake


@pytest.fixture
def discord_fake() -> Iterator[DiscordFake]:
    """A started fake Discord webhook service (``fake.url`` is the endpoint URL)."""
    with DiscordFake() as fake:
        yield fake


@pytest.fixture
def teams_fake() -> Iterator[TeamsFake]:
    """A started fake Teams Workflows webhook (``fake.add_workflow()`` gives a URL)."""
    with TeamsFake() as fake:
        yield fake
