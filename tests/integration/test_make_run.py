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
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
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


def received_events(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "atsd-alerts.sqlite3", timeout=10) as db:
        row = db.execute("select coalesce(sum(events), 0) from rules_receivedbatch").fetchone()
    return row[0]


def test_make_run_serves_login_accepts_commands_and_stops_everything(stack):
    process, web_port, tcp_port, tmp_path = stack
    children = psutil.Process(process.pid).children(recursive=True)
    assert len(children) >= 6  # web, listener, engine, notify, beat, redis (+ gunicorn workers)

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
    poll(lambda: received_events(tmp_path / "data") == 2, 30, "both samples reach the engine")

    process.send_signal(signal.SIGINT)
    assert process.wait(30) == 0
    for child in children:
        assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE, child
    log = (tmp_path / "stack.log").read_text()
    assert "admin login: admin" in log
