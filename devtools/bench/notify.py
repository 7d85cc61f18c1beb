"""The notification bench (``python manage.py bench_notify --kind K``): trigger (dispatch
call) → receipt by the fake service of kind K (HipChat, Slack, Discord, Teams; several
in one run, comma-separated, each with a fresh endpoint, to compare their figures).

The command re-runs itself in a child process with a fresh data directory (its
own SQLite database, migrated, and a private Redis), so the bench never writes
into the configured database. Inside, everything is real except the service:

* the kind's fake server (:mod:`devtools.fakes`) runs in-process on loopback, HipChat's
  with its rate limits raised out of the way;
* one real Celery notify worker (solo pool, queue ``notify``) runs in-process
  in a thread against that Redis, as ``celery worker -Q notify`` would;
* triggers are made by the real engine in-process and stored as TriggerRecord
  rows; the clock starts at the ``dispatch_triggers`` call and stops at the
  fake's receipt time of the request.

Figures: notifications/s for a burst of N triggers in distinct windows, and
p50/p99 latency over triggers sent one at a time (a burst measures its own
queue, not the path).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from celery.contrib.testing.worker import start_worker

from atsd_alerts.celery import app
from devtools.fakes.discord import DiscordFake
from devtools.fakes.hipchat import HipChatFake
from devtools.fakes.slack import SlackFake
from devtools.fakes.teams import TeamsFake
from notifications.dispatch import dispatch_triggers
from notifications.models import Endpoint, RuleNotification
from notifications.tasks import NOTIFY_QUEUE
from rules.contract.triggers import encode_trigger
from rules.engine.actions import ActionSettings
from rules.engine.definition import RuleDefinition
from rules.engine.engine import Engine
from rules.events import SERIES, Event
from rules.models import TriggerRecord

ROOT = Path(__file__).resolve().parents[2]
INNER = "BENCH_NOTIFY_INNER"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def in_fresh_environment() -> bool:
    """Whether this process is the bench's child, with its own database and Redis."""
    return os.environ.get(INNER) == "1"


def respawn(burst: int, samples: int, kinds: list[str]) -> subprocess.CompletedProcess[str]:
    """Run the bench in a child process with a fresh data directory (a migrated SQLite
    database) and a private Redis; its output holds the figures."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from services import RedisServer  # scripts/ is no package: found on the path just set

    data = Path(tempfile.mkdtemp(prefix="atsd-bench-notify-"))
    redis = RedisServer(data / "redis").start()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL"}}
    env.update({INNER: "1", "DATA_DIR": str(data), "REDIS_URL": redis.url, "LOG_LEVEL": "ERROR"})
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        command = [sys.executable, "manage.py", "bench_notify"]
        command += ["--burst", str(burst), "--samples", str(samples), "--kind", ",".join(kinds)]
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    finally:
        redis.stop()


@dataclass
class BenchTarget:
    """One kind's fake service with an endpoint named ``bench`` sending to it.

    ``received`` counts what the service accepted; ``fake`` has ``wait_for`` (its log,
    whose entries carry ``received_at`` and ``accepted``) and ``stop``.
    """

    kind: str
    text_key: str
    fake: Any
    received: Callable[[], int]


def _endpoint(kind: str, base_url: str, parameters: list[tuple[str, str, bool]]) -> None:
    endpoint = Endpoint(name="bench", kind=kind, base_url=base_url)
    endpoint.set_parameters(parameters)
    endpoint.save()


def hipchat_target() -> BenchTarget:
    fake = HipChatFake(token_limit=10**9, flood_limit=10**9).start()
    room = fake.add_room("bench")
    token = fake.add_token()
    _endpoint(
        "HIPCHAT", fake.url,
        [("auth_token", token, False), ("room", str(room.id), True), ("message", "", True)],
    )  # fmt: skip
    return BenchTarget("HIPCHAT", "message", fake, lambda: len(fake.room_messages(room)))


def slack_target() -> BenchTarget:
    fake = SlackFake().start()
    fake.add_channel("bench")
    token = fake.add_token("xoxb-bench")
    _endpoint(
        "SLACK", fake.api_url,
        [("token", token, False), ("channels", "bench", True), ("text", "", True)],
    )  # fmt: skip
    return BenchTarget("SLACK", "text", fake, lambda: len(fake.messages("bench")))


def discord_target() -> BenchTarget:
    fake = DiscordFake().start()
    hook = fake.add_webhook("bench")
    _endpoint(
        "DISCORD", fake.url,
        [("webhook_id", hook.id, False), ("webhook_token", hook.token, False),
         ("content", "", True)],
    )  # fmt: skip
    return BenchTarget("DISCORD", "content", fake, lambda: len(fake.messages(hook)))


def teams_target() -> BenchTarget:
    fake = TeamsFake().start()
    url = fake.add_workflow("bench")
    _endpoint("TEAMS", "", [("webhook_url", url, False), ("text", "", True)])
    return BenchTarget("TEAMS", "text", fake, lambda: len(fake.cards("bench")))


#: The kinds the bench can send to, each with its fake service.
TARGETS: dict[str, Callable[[], BenchTarget]] = {
    "hipchat": hipchat_target,
    "slack": slack_target,
    "discord": discord_target,
    "teams": teams_target,
}


def run_all(burst: int, samples: int, kinds: list[str]) -> list[str]:
    """Each of ``kinds`` in turn (a fresh endpoint, binding and rule each); their lines."""
    lines: list[str] = []
    for kind in kinds:
        Endpoint.objects.all().delete()
        RuleNotification.objects.all().delete()
        lines.append(f"kind: {kind}")
        lines += run(burst, samples, TARGETS[kind]())
    return lines


def run(burst: int, samples: int, target: BenchTarget) -> list[str]:
    """Run the bench in this (fresh) environment; return the ``label: value unit`` lines."""
    fake, received = target.fake, target.received
    RuleNotification.objects.create(
        rule_name="bench", name="b", endpoint_name="bench", open_enabled=True,
        open_params={target.text_key: "[${status}] ${rule} for ${entity} ${tags}. ${ruleLink}"},
    )  # fmt: skip
    engine = Engine(zone="UTC")
    engine.install(
        RuleDefinition(
            name="bench", metric="m", expression="value > 0", window="length(1)",
            actions=(ActionSettings("web:b", on_repeat=False, on_cancel=False),),
        )
    )  # fmt: skip
    counter = iter(range(10**9))

    def store(n: int) -> list[str]:
        """n OPEN triggers in n new windows, stored as the engine worker stores them."""
        now = int(time.time() * 1000)
        rows = []
        for _ in range(n):
            i = next(counter)
            event = Event(
                kind=SERIES, entity=f"e{i}", metric="m", tags={}, time_ms=now,
                receive_ms=now, value=1.0, line_values={"m": 1.0},
            )  # fmt: skip
            for trigger in engine.process(event, now):
                data = encode_trigger(trigger)
                rows.append(
                    TriggerRecord(
                        event_id=f"bench-{target.kind}-{i}", rule="bench",
                        window_key=trigger.window_key, status=trigger.status,
                        reason=trigger.reason, data=data,
                    )
                )  # fmt: skip
        TriggerRecord.objects.bulk_create(rows)
        return [r.event_id for r in rows]

    lines: list[str] = []
    with start_worker(
        app, pool="solo", concurrency=1, queues=[NOTIFY_QUEUE], perform_ping_check=False,
        loglevel="ERROR", shutdown_timeout=30,
    ):  # fmt: skip
        # Warm-up: connections, caches, templates.
        ids = store(20)
        dispatch_triggers(ids)
        fake.wait_for(lambda log: received() >= 20, timeout=60)

        base = received()
        ids = store(burst)
        started = time.time()
        dispatch_triggers(ids)
        log = fake.wait_for(lambda log: received() >= base + burst, timeout=600)
        last = max(r.received_at for r in log if r.accepted)
        rate = burst / (last - started)

        latencies = []
        for _ in range(samples):
            base = received()
            ids = store(1)
            t0 = time.time()
            dispatch_triggers(ids)

            def arrived(log: list[Any], base: int = base) -> bool:
                return received() > base

            log = fake.wait_for(arrived, timeout=30)
            latencies.append((log[-1].received_at - t0) * 1000)
    fake.stop()
    lines.append(f"mode: in-process fake {target.kind}, in-process notify worker (solo) on Redis")
    lines.append(f"notifications: {burst} notifications")
    lines.append(f"throughput: {rate:,.0f} notifications/s")
    lines.append(f"p50: {percentile(latencies, 50):.1f} ms")
    lines.append(f"p99: {percentile(latencies, 99):.1f} ms")
    return lines
