"""`make run`'s stack starts from nothing, accepts data on TCP and HTTP, and stops cleanly."""

import base64
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from services import free_port  # noqa: E402

pytestmark = pytest.mark.integration

# The stack has its own Redis and data, and runs the Redis check the suite switches off.
NOT_INHERITED = {"REDIS_URL", "DATABASE_URL", "REDIS_CONFIG_CHECK", "DATA_DIR"}


def poll(check, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"{what} within {timeout} s")


def http_ok(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def stack(tmp_path):
    web_port, tcp_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update(
        DATA_DIR=str(tmp_path / "data"),
        WEB_PORT=str(web_port),
        TCP_LISTENER_PORT=str(tcp_port),
        ADMIN_PASSWORD="first-start-pw",
        ENGINE_PARTITIONS="1",
    )
    log = open(tmp_path / "stack.log", "w")  # noqa: SIM115 - closed in the teardown
    process = subprocess.Popen(
        [sys.executable, "scripts/run_stack.py"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    try:
        poll(lambda: http_ok(f"http://127.0.0.1:{web_port}/login/"), 90, "login page served")
        yield process, web_port, tcp_port, tmp_path
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(30)
        log.close()


def open_alerts(data_dir: Path) -> list[tuple]:
    with sqlite3.connect(data_dir / "atsd-alerts.sqlite3", timeout=10) as db:
        return db.execute("select rule, entity, repeat_count from rules_alert").fetchall()


WALKTHROUGH = ROOT / "tests" / "fixtures" / "rulesxml" / "walkthrough_rules.xml"


def test_make_run_serves_login_accepts_commands_and_stops_everything(stack):
    process, web_port, tcp_port, tmp_path = stack
    children = psutil.Process(process.pid).children(recursive=True)
    assert len(children) >= 6  # web, listener, engine, notify, beat, redis (+ gunicorn workers)

    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env["DATA_DIR"] = str(tmp_path / "data")
    env["REDIS_URL"] = f"redis+socket://{tmp_path / 'data' / 'redis.sock'}"
    imported = subprocess.run(
        [sys.executable, "manage.py", "import_rules", str(WALKTHROUGH), "--enable"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "created: atsd.jvm.low_memory" in imported.stdout

    with socket.create_connection(("127.0.0.1", tcp_port), timeout=5) as sock:
        sock.sendall(b"series e:atsd m:jvm_memory_used_percent=55 t:host=axibase\n")
    request = urllib.request.Request(
        f"http://127.0.0.1:{web_port}/api/v1/command",
        data=b"series e:atsd m:jvm_memory_used_percent=55 t:host=axibase",
        headers={
            "Content-Type": "text/plain",
            "Authorization": "Basic " + base64.b64encode(b"admin:first-start-pw").decode(),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.load(response) == {"fail": 0, "success": 1, "total": 1, "errors": []}
    poll(
        lambda: open_alerts(tmp_path / "data") == [("atsd.jvm.low_memory", "atsd", 1)],
        30,
        "the TCP sample opens the walkthrough alert and the HTTP one repeats it",
    )

    process.send_signal(signal.SIGINT)
    assert process.wait(30) == 0
    for child in children:
        assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE, child
    log = (tmp_path / "stack.log").read_text()
    assert "admin login: admin" in log
