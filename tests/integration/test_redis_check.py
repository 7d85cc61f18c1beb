"""Every process refuses to start on a Redis that would evict or forget what it is given.

Each test starts its own redis-server with the configuration under test (the suite's
shared Redis keeps nothing on disk, which is exactly what the check refuses).
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from atsd_alerts.redis_check import RedisNotDurableError, check_redis, require_durable_redis

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from services import free_port, port_open, redis_binary, wait_until  # noqa: E402

pytestmark = pytest.mark.integration

DURABLE = ("--appendonly", "yes", "--appendfsync", "everysec", "--maxmemory-policy", "noeviction")


@contextlib.contextmanager
def redis_server(tmp_path: Path, *args: str) -> Iterator[str]:
    port = free_port()
    command = [redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path)]
    process = subprocess.Popen([*command, "--save", "", *args], stdout=subprocess.DEVNULL)
    try:
        wait_until(lambda: port_open("127.0.0.1", port), 10, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


def test_a_redis_with_an_append_only_file_that_never_evicts_is_accepted(tmp_path):
    with redis_server(tmp_path, *DURABLE) as url:
        found = check_redis(url, wait_s=0)
    assert (found.maxmemory_policy, found.appendonly, found.appendfsync) == (
        "noeviction",
        True,
        "everysec",
    )
    assert found.source == "CONFIG GET"


def test_a_redis_that_evicts_keys_is_refused_with_the_policy_and_the_remedy(tmp_path):
    evicting = ("--appendonly", "yes", "--maxmemory-policy", "allkeys-lru")
    with redis_server(tmp_path, *evicting) as url, pytest.raises(RedisNotDurableError) as refused:
        check_redis(url, wait_s=0)
    assert str(refused.value) == (
        f"the Redis at {url} would lose accepted data: maxmemory-policy is allkeys-lru: "
        f"when its memory is full it evicts keys (queued samples, journals) instead of "
        f"refusing writes (read with CONFIG GET). Configure it with appendonly yes, "
        f"appendfsync everysec and maxmemory-policy noeviction (see the README, "
        f"'Production Redis'), or set REDIS_CONFIG_CHECK=false if you accept the loss."
    )


@pytest.mark.parametrize("save", ["", "60 1"], ids=["nothing", "rdb-snapshots-only"])
def test_a_redis_without_an_append_only_file_is_refused(tmp_path, save):
    forgetting = ("--maxmemory-policy", "noeviction", "--save", save)
    with (
        redis_server(tmp_path, *forgetting) as url,
        pytest.raises(RedisNotDurableError, match="appendonly is no: a restart forgets"),
    ):
        check_redis(url, wait_s=0)


def test_without_config_get_the_check_reads_info(tmp_path):
    with redis_server(tmp_path, *DURABLE, "--rename-command", "CONFIG", "") as url:
        found = check_redis(url, wait_s=0)
    assert (found.source, found.maxmemory_policy, found.appendonly) == ("INFO", "noeviction", True)
    with (
        redis_server(tmp_path, "--rename-command", "CONFIG", "", "--appendonly", "no") as url,
        pytest.raises(RedisNotDurableError, match=r"appendonly is no.*\(read with INFO\)"),
    ):
        check_redis(url, wait_s=0)


def test_without_config_get_and_info_the_message_names_the_override(tmp_path):
    hidden = ("--rename-command", "CONFIG", "", "--rename-command", "INFO", "")
    with (
        redis_server(tmp_path, *DURABLE, *hidden) as url,
        pytest.raises(RedisNotDurableError) as refused,
    ):
        check_redis(url, wait_s=0)
    message = str(refused.value)
    assert message.startswith(f"cannot read the configuration of the Redis at {url}")
    assert message.endswith(
        "Make sure it runs with appendonly yes and maxmemory-policy noeviction, then set "
        "REDIS_CONFIG_CHECK=false to start without the check."
    )


def test_an_unreachable_redis_is_named(tmp_path):
    url = f"redis://127.0.0.1:{free_port()}/0"
    with pytest.raises(RedisNotDurableError, match=f"Redis at {url} is not reachable"):
        check_redis(url, wait_s=0)


def test_switching_the_check_off_starts_with_a_warning(settings, caplog):
    settings.REDIS_CONFIG_CHECK = False
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # not even asked
    with caplog.at_level(logging.WARNING, logger="atsd_alerts.redis_check"):
        require_durable_redis("listener")
    assert "listener: Redis durability check skipped (REDIS_CONFIG_CHECK=false)" in caplog.text


CELERY = str(Path(sys.executable).parent / "celery")
PROCESSES = {
    "worker": [CELERY, "-A", "atsd_alerts", "-q", "worker", "-Q", "engine.0", "-P", "solo",
               "-n", "check@%h", "--without-gossip", "--without-mingle"],
    "beat": [CELERY, "-A", "atsd_alerts", "-q", "beat", "-s", "{tmp}/schedule"],
    "listener": [sys.executable, "manage.py", "listen_tcp", "--port", "0"],
    "web": [sys.executable, "-c", "import atsd_alerts.wsgi"],
    "check_redis": [sys.executable, "manage.py", "check_redis"],
}  # fmt: skip


@pytest.mark.parametrize("process", list(PROCESSES))
def test_every_process_refuses_to_start_on_a_redis_that_forgets(tmp_path, process):
    with redis_server(tmp_path, "--appendonly", "no") as url:
        env = dict(os.environ, REDIS_URL=url, REDIS_CONFIG_CHECK="true",
                   DATA_DIR=str(tmp_path / "data"))  # fmt: skip
        argv = [part.replace("{tmp}", str(tmp_path)) for part in PROCESSES[process]]
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"the Redis at {url} would lose accepted data: appendonly is no" in done.stderr
