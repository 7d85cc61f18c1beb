"""End-to-end benchmark: TCP listener → Celery → engine partitions → alert rows.

Runs the ``make run`` process layout (scripts/run_stack.py) in a temporary data
directory, imports one rule with the walkthrough condition, streams series commands
over several TCP connections, and measures

* sustained samples/s, sending flat out, from the first line sent until the last
  marker's alert row is
  written: every connection ends with markers that land on every partition, and both
  a connection and a partition keep their order, so once those alert rows exist every
  sample before them has been applied, and
* latency from sending a marker sample to its alert row (``TriggerRecord.created``),
  p50 and p99 over markers spread through a second run sent at a fixed rate (a
  flat-out run measures its own backlog, not the pipeline's latency).
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from services import free_port, port_open, wait_until  # noqa: E402

RULE_XML = """<?xml version="1.0" encoding="UTF-8"?><rules><rule>
<name>bench</name><metric>bench_m</metric><enabled>true</enabled>
<tagsGroupingStrategy>NO_TAGS</tagsGroupingStrategy>
<window>time(15 minute)</window>
<expression><![CDATA[avg() > 10 || max() > 85]]></expression>
<severity>WARNING</severity><logToAlertHistory>false</logToAlertHistory>
</rule></rules>"""

MARKER_EVERY = 5000
FINAL_MARKERS = 16  # per connection, so that each partition gets some


def _lines(
    start: int, count: int, series: int, marker_base: str
) -> tuple[list[bytes], list[tuple[str, int]]]:
    """Bulk lines (low values, never alert) with a marker (fresh entity, value 99) inside."""
    now = int(time.time() * 1000)
    chunks: list[bytes] = []
    markers: list[tuple[str, int]] = []
    for i in range(start, start + count):
        if i % MARKER_EVERY == 0:
            name = f"marker-{marker_base}-{i}"
            markers.append((name, len(chunks)))
            chunks.append(f"series e:{name} m:bench_m=99 ms:{now}\n".encode())
        chunks.append(f"series e:host-{i % series} m:bench_m={i % 7} ms:{now}\n".encode())
    for n in range(FINAL_MARKERS):
        name = f"final-{marker_base}-{n}"
        markers.append((name, len(chunks)))
        chunks.append(f"series e:{name} m:bench_m=99 ms:{now}\n".encode())
    return chunks, markers


def _sender(
    port: int,
    lines: list[bytes],
    markers: list[tuple[str, int]],
    sent_at: dict[str, float],
    chunk: int,
    rate: float,
) -> None:
    """Send ``lines`` in blocks of ``chunk``; ``rate`` lines/s per connection (0 = flat out).

    The blocks are joined before the clock starts and markers are stamped per block, so
    the load generator spends as little of the shared two cores as it can.
    """
    blocks = [b"".join(lines[i : i + chunk]) for i in range(0, len(lines), chunk)]
    by_block: dict[int, list[str]] = {}
    for name, index in markers:
        by_block.setdefault(index // chunk, []).append(name)
    begin = time.monotonic()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        for number, block in enumerate(blocks):
            if rate:
                pause = begin + number * chunk / rate - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
            sock.sendall(block)
            names = by_block.get(number)
            if names:
                stamp = time.time()
                for name in names:
                    sent_at[name] = stamp


def _alert_rows(db: Path) -> dict[str, float]:
    with sqlite3.connect(db, timeout=30) as conn:
        rows = conn.execute(
            "select window_key, created from rules_triggerrecord where rule = 'bench'"
        ).fetchall()
    out = {}
    for key, created in rows:
        entity = key.split("-bench_m-", 1)[1]
        out[entity] = datetime.fromisoformat(created).replace(tzinfo=UTC).timestamp()
    return out


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def _phase(tcp: int, db: Path, samples: int, series: int, connections: int, rate: float,
           tag: str) -> dict[str, Any]:  # fmt: skip
    per = samples // connections
    plans = [_lines(c * per, per, series, f"{tag}{c}") for c in range(connections)]
    sent_at: dict[str, float] = {}
    per_connection_rate = rate / connections if rate else 0.0
    threads = [
        threading.Thread(
            target=_sender, args=(tcp, lines, markers, sent_at, 500, per_connection_rate)
        )
        for lines, markers in plans
    ]
    started = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    deadline = time.time() + 600
    rows: dict[str, float] = {}
    while time.time() < deadline:
        rows = _alert_rows(db)
        if all(name in rows for name in sent_at):
            break
        time.sleep(0.1)
    mine = {name: rows[name] for name in sent_at if name in rows}
    finished = max(mine.values())
    latencies = [(mine[name] - sent) * 1000 for name, sent in sent_at.items() if name in mine]
    total = per * connections + len(sent_at)
    return {
        "samples": total,
        "elapsed_s": finished - started,
        "samples_per_s": total / (finished - started),
        "markers": len(latencies),
        "lost_markers": len(sent_at) - len(latencies),
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
    }


def run(samples: int = 500_000, series: int = 10_000, connections: int = 4,
        rate: float = 50_000) -> dict[str, Any]:  # fmt: skip
    """Phase 1 sends flat out (throughput); phase 2 sends at ``rate`` (latency)."""
    data = Path(tempfile.mkdtemp(prefix="atsd-bench-"))
    web, tcp = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(DATA_DIR=str(data), WEB_PORT=str(web), TCP_LISTENER_PORT=str(tcp),
               LOG_LEVEL="WARNING")  # fmt: skip
    log = open(data / "stack.log", "w")  # noqa: SIM115 - closed below
    stack = subprocess.Popen([sys.executable, "scripts/run_stack.py"], cwd=ROOT, env=env,
                             stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        wait_until(lambda: port_open("127.0.0.1", web), 120, "the stack")
        rules = data / "bench_rules.xml"
        rules.write_text(RULE_XML)
        env["REDIS_URL"] = f"redis+socket://{data / 'redis.sock'}"
        subprocess.run([sys.executable, "manage.py", "import_rules", str(rules), "--enable"],
                       cwd=ROOT, env=env, check=True, capture_output=True)  # fmt: skip
        time.sleep(2.5)  # rule reload in the listener's router (checks every second)
        db = data / "atsd-alerts.sqlite3"
        # Warm-up: entities are registered and windows created on first sight.
        _phase(tcp, db, series, series, connections, 0, "w")
        throughput = _phase(tcp, db, samples, series, connections, 0, "t")
        latency = _phase(tcp, db, samples // 2, series, connections, rate, "l")
        return {"throughput": throughput, "latency": latency, "rate": rate}
    finally:
        stack.send_signal(2)
        try:
            stack.wait(60)
        except subprocess.TimeoutExpired:
            stack.kill()
        log.close()
