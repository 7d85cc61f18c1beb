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

``partitions`` and ``listeners`` set ``ENGINE_PARTITIONS`` and ``TCP_LISTENERS`` for
the stack it starts (the scale-out curve). With ``profile`` the stack runs with
``PIPELINE_PROFILE`` on: every process sums the time of its pipeline stages
(atsd_alerts.stage_timing), and the flat-out phase reports those sums. The CPU
seconds of each process of the stack during the flat-out phase (Redis and Celery's
own work included) are reported always.
"""

from __future__ import annotations

import os
import shutil
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

import redis

from atsd_alerts import stage_timing
from devtools.bench.process_cpu import cpu_between, tree_cpu

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
# Final markers per connection and partition, so that each partition gets some from each
# connection (routing hashes them: 8 per partition miss one with p ≈ (1 - 1/P)^(8P)).
FINAL_MARKERS_PER_PARTITION = 8
PUBLISH_WAIT_S = 2 * stage_timing.PUBLISH_EVERY_S + 0.2


def _lines(
    start: int, count: int, series: int, marker_base: str, final_markers: int
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
    for n in range(final_markers):
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
           tag: str, final_markers: int) -> dict[str, Any]:  # fmt: skip
    per = samples // connections
    plans = [_lines(c * per, per, series, f"{tag}{c}", final_markers) for c in range(connections)]
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


def _measured(
    redis_client: redis.Redis | None, stack_pid: int, phase: Any
) -> tuple[dict[str, Any], dict[str, dict[str, int]], dict[str, float]]:
    """Run ``phase()`` counting the CPU seconds of each stack process and, with a
    ``redis_client`` (profiling on), the stage sums from zero."""
    if redis_client is not None:
        time.sleep(PUBLISH_WAIT_S)  # what the warm-up left in the processes is published
        stage_timing.reset(redis_client)
    before, own = tree_cpu(stack_pid), time.process_time()
    result = phase()
    cpu = cpu_between(before, tree_cpu(stack_pid))
    cpu["load generator"] = time.process_time() - own
    if redis_client is None:
        return result, {}, cpu
    time.sleep(PUBLISH_WAIT_S)
    return result, stage_timing.read_totals(redis_client), cpu


def run(samples: int = 500_000, series: int = 10_000, connections: int = 4,
        rate: float = 50_000, partitions: int = 2, listeners: int = 1,
        profile: bool = False) -> dict[str, Any]:  # fmt: skip
    """Phase 1 sends flat out (throughput); phase 2 sends at ``rate`` (latency; 0 = no
    phase 2)."""
    data = Path(tempfile.mkdtemp(prefix="atsd-bench-"))
    web, tcp = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(DATA_DIR=str(data), WEB_PORT=str(web), TCP_LISTENER_PORT=str(tcp),
               LOG_LEVEL="WARNING", ENGINE_PARTITIONS=str(partitions),
               TCP_LISTENERS=str(listeners),
               PIPELINE_PROFILE="1" if profile else "0")  # fmt: skip
    log = open(data / "stack.log", "w")  # noqa: SIM115 - closed below
    stack = subprocess.Popen([sys.executable, "scripts/run_stack.py"], cwd=ROOT, env=env,
                             stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    finals = FINAL_MARKERS_PER_PARTITION * partitions
    finished = False
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
        _phase(tcp, db, series, series, connections, 0, "w", finals)
        result: dict[str, Any] = {"rate": rate, "partitions": partitions, "listeners": listeners}

        def flat_out() -> dict[str, Any]:
            return _phase(tcp, db, samples, series, connections, 0, "t", finals)

        redis_client = None
        if profile:
            redis_client = redis.Redis(unix_socket_path=str(data / "redis.sock"))
        flat, stages, cpu = _measured(redis_client, stack.pid, flat_out)
        if redis_client is not None:
            redis_client.close()
            result["stages"] = stages
        result.update(throughput=flat, cpu=cpu)
        if rate > 0:
            result["latency"] = _phase(tcp, db, samples // 2, series, connections, rate, "l",
                                       finals)  # fmt: skip
        finished = True
        return result
    finally:
        stack.send_signal(2)
        try:
            stack.wait(60)
        except subprocess.TimeoutExpired:
            stack.kill()
            stack.wait()
        log.close()
        if finished:  # a failed run keeps its directory: stack.log says why
            shutil.rmtree(data, ignore_errors=True)
