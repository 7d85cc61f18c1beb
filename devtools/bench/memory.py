"""Memory benchmark: a partition holding many count(10) windows, and its snapshot.

Builds ``windows`` windows of ``length(10)`` rules in one engine partition the way a
running partition gets them: batches of wire rows (``INGEST_BATCH_SIZE`` events, as
the inbox holds them) decoded with orjson and applied by ``Partition``, ``samples``
rounds so that every window holds ``samples`` samples and the last event it received.
The windows are spread over ``rules`` rules (``RULE_MAX_WINDOWS`` allows 100,000 per
rule by default), each rule on a metric of its own unless ``shared_metric``: then every
event goes to every rule, as with several thresholds on one metric, and the windows of
one entity share its last event.

The checkpoint goes to a private redis-server started for the run, so the figures are
the two processes that hold the windows: the partition's RSS and Redis's. Prints
``label: value unit`` lines:

* ``windows``, ``rss engine`` (the partition process, before and with the windows),
  ``rss redis``, ``rss total`` and ``bytes per window`` (both processes' growth);
* ``snapshot``: the first checkpoint (every window written) with its size in Redis and
  how long the partition was busy with it, then ``snapshot after N changed``: the next
  checkpoint after one more sample for a share of the windows.

It reaches the partition only through ``Engine``, ``Partition._apply_rows`` and
``Partition.checkpoint``, so that an older checkout is measured by the same code (with
that checkout first on ``sys.path``; before the partition read raw inbox entries,
``_apply_rows`` took the decoded rows).
"""

from __future__ import annotations

import gc
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from services import RedisServer  # noqa: E402

START_MS = 1_700_000_000_000
STEP_MS = 15_000  # one sample per series every 15 s
BATCH = 2_000  # INGEST_BATCH_SIZE's default
MB = 1024 * 1024


def rss_bytes(pid: int | None = None) -> int:
    """Resident set size of process ``pid`` (this one when None), from /proc."""
    with open(f"/proc/{pid or 'self'}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc status")


def _rows(first: int, last: int, rules: int, shared: bool, k: int, now: int) -> list[Any]:
    """Wire rows (event, routed rule names) for entities ``first``..``last`` - 1."""
    rows = []
    for i in range(first, last):
        value = float((i * 7 + k) % 80)  # below the rules' threshold: the windows stay CANCEL
        if shared:
            event = ["series", f"host-{i:07d}", "mem_m0", {}, now, now, value]
            rows.append([event, [f"mem{r}" for r in range(rules)]])
        else:
            r = i % rules
            rows.append(
                [["series", f"host-{i:07d}", f"mem_m{r}", {}, now, now, value], [f"mem{r}"]]
            )
    return rows


def _feed(part: Any, entities: range, rules: int, shared: bool, k: int) -> None:
    """One sample for each of ``entities``, in inbox-sized batches (k: round number)."""
    for first in range(entities.start, entities.stop, BATCH):
        now = START_MS + k * STEP_MS + first
        raw = orjson.dumps(_rows(first, min(first + BATCH, entities.stop), rules, shared, k, now))
        part._apply_rows(f"{now}-0", raw, now)  # the inbox entry as the partition reads it


def _redis_used(redis: Any) -> int:
    return int(redis.info("memory")["used_memory"])


def run(
    windows: int = 1_000_000,
    rules: int = 10,
    samples: int = 10,
    shared_metric: bool = False,
    changed_share: float = 0.01,
    out: Callable[[str], Any] = print,
) -> dict[str, float]:
    """Build the windows, checkpoint twice, print and return the figures."""
    from rules.engine.definition import RuleDefinition
    from rules.engine.engine import Engine
    from rules.partition.journal import Partition

    work = Path(tempfile.mkdtemp(prefix="atsd-bench-memory-"))
    server = RedisServer(work, socket_path=work / "redis.sock").start()
    redis_url = settings.REDIS_URL
    try:
        settings.REDIS_URL = server.url
        engine = Engine()  # no windows limit: the layout decides how many a rule holds
        for r in range(rules):
            engine.install(
                RuleDefinition(
                    name=f"mem{r}", metric="mem_m0" if shared_metric else f"mem_m{r}",
                    expression="avg() > 90", window="length(10)",
                )
            )  # fmt: skip
        part = Partition(0, engine, lambda items: None)
        redis = part.redis
        entities = windows // rules if shared_metric else windows
        gc.collect()
        rss_before = rss_bytes()
        redis_before = rss_bytes(server.process.pid)
        started = time.process_time()
        for k in range(samples):
            _feed(part, range(entities), rules, shared_metric, k)
        build_cpu = time.process_time() - started
        gc.collect()
        held = sum(len(rt.windows) for rt in engine.rules.values())
        rss_engine = rss_bytes()
        used_before = _redis_used(redis)
        t0, c0 = time.perf_counter(), time.process_time()
        part.checkpoint()
        full_s, full_cpu = time.perf_counter() - t0, time.process_time() - c0
        snapshot_bytes = _redis_used(redis) - used_before
        rss_redis = rss_bytes(server.process.pid)
        # One more sample for a share of the windows, then the next checkpoint.
        changed = max(1, int(entities * changed_share))
        _feed(part, range(changed), rules, shared_metric, samples)
        t0, c0 = time.perf_counter(), time.process_time()
        part.checkpoint()
        inc_s, inc_cpu = time.perf_counter() - t0, time.process_time() - c0
        changed_windows = changed * (rules if shared_metric else 1)
        total = rss_engine + rss_redis
        grown = (rss_engine - rss_before) + (rss_redis - redis_before)
        layout = (
            f"{rules} rules on one metric, {entities:,} series each"
            if shared_metric
            else f"{rules} rules on a metric each, {entities:,} series over them"
        )
        out(f"layout: {layout}, length(10), {samples} samples a window")
        out(f"windows: {held:,} windows")
        out(f"build: {build_cpu:.1f} s cpu ({held * samples / build_cpu:,.0f} samples/s)")
        out(f"rss engine: {rss_engine / MB:,.0f} MB ({rss_before / MB:,.0f} MB before the windows)")
        out(f"rss redis: {rss_redis / MB:,.0f} MB ({redis_before / MB:,.0f} MB before)")
        out(f"rss total: {total / MB:,.0f} MB")
        out(f"bytes per window: {grown / held:,.0f} bytes")
        out(f"bytes per window engine: {(rss_engine - rss_before) / held:,.0f} bytes")
        out(f"bytes per window redis: {(rss_redis - redis_before) / held:,.0f} bytes")
        out(f"snapshot: {snapshot_bytes / MB:,.1f} MB, {full_s:.2f} s ({full_cpu:.2f} s cpu)")
        out(f"snapshot after {changed_windows:,} changed: {inc_s:.3f} s ({inc_cpu:.3f} s cpu)")
        return {
            "windows": held,
            "rss_engine_mb": rss_engine / MB,
            "rss_redis_mb": rss_redis / MB,
            "rss_total_mb": total / MB,
            "bytes_per_window": grown / held,
            "snapshot_mb": snapshot_bytes / MB,
            "snapshot_s": full_s,
            "incremental_s": inc_s,
        }
    finally:
        settings.REDIS_URL = redis_url
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
