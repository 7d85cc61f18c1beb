"""The notification bench (``python manage.py bench_notify --kind K``): trigger (dispatch
call) → receipt by the fake service of kind K: every endpoint kind that sends, and email
(SMTP); several in one run, comma-separated or ``all``, each with a fresh endpoint, to
compare their figures.

The command re-runs itself in a child process with a fresh data directory (its
own SQLite database, migrated, and a private Redis), so the bench never writes
into the configured database. Inside, everything is real except the service:

* the kind's fake server (:mod:`devtools.fakes`; aiosmtpd for email) runs in-process
  on loopback;
* by default one real Celery notify worker (solo pool, queue ``notify``) runs
  in-process in a thread against that Redis; ``--workers P --threads T`` starts P
  ``celery worker -Q notify -P threads -c T`` processes instead, as production runs
  them (several processes and threads sending to several rooms at once);
* triggers are made by the real engine in-process and stored as TriggerRecord
  rows; the clock starts at the ``dispatch_triggers`` call and stops at the
  fake's receipt time of the request (for email: when the waiting bench thread is
  woken by the SMTP server's acceptance of the message).

HipChat's limits (``hipchat-v2.md`` §1.6) are enforced by its fake and honoured by the
client before sending (:mod:`notifications.channels.rate_budget`). ``--rooms R`` spreads
the triggers over R rooms (the room is ``${tags.room}``, one endpoint and token).
Under Cloud's documented limits (30 messages a minute per room, 500 requests per 5
minutes per token) no client can send more than R/2 notifications/s, so the
throughput run (``--limits raised``, the default) sets the fake to the raised limits a
self-hosted Server advertises in its headers (token 1,000,000 per 5 minutes, room 600
a minute) and prints them; ``--limits documented`` keeps Cloud's limits with the
windows shortened to ``--minute`` seconds, to show the budget holding sends back
before the service would answer 429 (the count of 429s is printed in every run).

Figures: notifications/s for a burst of N triggers in distinct windows, and
p50/p99 latency over triggers sent one at a time (a burst measures its own
queue, not the path); when HipChat ran too, each kind's p99 as a multiple of
HipChat's (the target is that none is over 2).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from celery.contrib.testing.worker import start_worker
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from atsd_alerts.celery import app
from devtools.fakes.aws import AwsFake
from devtools.fakes.azure_sb import AzureServiceBusFake
from devtools.fakes.custom import CustomApi
from devtools.fakes.discord import DiscordFake
from devtools.fakes.gcp_ps import PubSubFake
from devtools.fakes.hipchat import HipChatFake
from devtools.fakes.slack import SlackFake
from devtools.fakes.smtp import SmtpServer
from devtools.fakes.teams import TeamsFake
from devtools.fakes.telegram import TelegramFake
from devtools.fakes.webhook import WebhookReceiver
from notifications.dispatch import dispatch_triggers
from notifications.models import Endpoint, MailClient, MailSecurity, RuleNotification
from notifications.tasks import NOTIFY_QUEUE
from rules.contract.email_bindings import EmailNotificationSpec, EmailTriggerSettings
from rules.contract.triggers import WEB_ACTION_PREFIX, encode_trigger
from rules.engine.actions import ActionSettings
from rules.engine.definition import RuleDefinition
from rules.engine.engine import Engine
from rules.events import SERIES, Event
from rules.models import Rule, TriggerRecord
from rules.partition.definitions import email_actions
from rules.rulesxml.email_notifications import write_email_notifications

ROOT = Path(__file__).resolve().parents[2]
INNER = "BENCH_NOTIFY_INNER"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def in_fresh_environment() -> bool:
    """Whether this process is the bench's child, with its own database and Redis."""
    return os.environ.get(INNER) == "1"


@dataclass(frozen=True)
class Options:
    """How the bench runs: triggers in the burst, one-at-a-time samples, rooms (HipChat),
    notify worker processes (0: one solo worker in-process) and threads in each, and
    HipChat's limits (``raised`` or ``documented``, with ``minute_s`` seconds to a
    documented minute)."""

    burst: int = 500
    samples: int = 200
    rooms: int = 1
    workers: int = 0
    threads: int = 4
    limits: str = "raised"
    minute_s: float = 60.0

    def arguments(self) -> list[str]:
        return [
            "--burst", str(self.burst), "--samples", str(self.samples),
            "--rooms", str(self.rooms), "--workers", str(self.workers),
            "--threads", str(self.threads), "--limits", self.limits,
            "--minute", str(self.minute_s),
        ]  # fmt: skip


def respawn(options: Options, kinds: list[str]) -> subprocess.CompletedProcess[str]:
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
        command += [*options.arguments(), "--kind", ",".join(kinds)]
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    finally:
        redis.stop()
        shutil.rmtree(data, ignore_errors=True)


#: Makes rule ``bench``'s binding to the target, sending the given message template;
#: returns the engine action that runs it.
Bind = Callable[[str], ActionSettings]


@dataclass
class BenchTarget:
    """One kind's fake service with what sends to it (an endpoint named ``bench``, or the
    mail client) and ``bind``, which makes rule ``bench``'s binding.

    ``received`` counts what the service accepted; ``fake`` has ``wait_for`` (its log,
    whose entries carry ``received_at`` and ``accepted``) and ``stop``. ``rooms``: the
    room tags the triggers cycle through (HipChat); ``notes``: lines saying how the
    service was set up, printed with the figures.
    """

    kind: str
    fake: Any
    received: Callable[[], int]
    bind: Bind
    rooms: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    refused: Callable[[], int] = lambda: 0


def web_binding(text_key: str) -> Bind:
    """Binds rule ``bench`` to endpoint ``bench`` on OPEN, the message under ``text_key``
    (none when empty: the kind sends the window's fields)."""

    def bind(text: str) -> ActionSettings:
        RuleNotification.objects.create(
            rule_name="bench", name="b", endpoint_name="bench", open_enabled=True,
            open_params={text_key: text} if text_key else {},
        )  # fmt: skip
        return ActionSettings(WEB_ACTION_PREFIX + "b", on_repeat=False, on_cancel=False)

    return bind


def _endpoint(kind: str, base_url: str, parameters: list[tuple[str, str, bool]]) -> None:
    endpoint = Endpoint(name="bench", kind=kind, base_url=base_url)
    endpoint.set_parameters(parameters)
    endpoint.save()


#: What a self-hosted HipChat Server may advertise once its administrator raised the
#: limits (hipchat-v2.md §1.6: "can be raised"): (token requests, per s), (room
#: messages, per s).
RAISED_LIMITS = ((1_000_000, 300.0), (60_000, 60.0))
#: HipChat Cloud's documented limits, as (requests, per documented minutes).
DOCUMENTED_LIMITS = ((500, 5.0), (30, 1.0))


def hipchat_limits(options: Options) -> tuple[tuple[int, float], tuple[int, float], str]:
    """The fake's (token limit, period), (room limit, period) and how to describe them."""
    if options.limits == "documented":
        (token, token_minutes), (room, room_minutes) = DOCUMENTED_LIMITS
        token_limit = (token, token_minutes * options.minute_s)
        room_limit = (room, room_minutes * options.minute_s)
        why = f"HipChat Cloud's documented limits, a minute lasting {options.minute_s:g} s"
    else:
        token_limit, room_limit = RAISED_LIMITS
        why = (
            "raised limits a self-hosted HipChat Server advertises in its headers; Cloud's "
            f"documented 30 a minute per room allow at most {options.rooms / 2:g} "
            f"notifications/s over {options.rooms} rooms"
        )
    return token_limit, room_limit, why


def hipchat_target(options: Options | None = None) -> BenchTarget:
    options = options or Options()
    (token_limit, token_s), (room_limit, room_s), why = hipchat_limits(options)
    fake = HipChatFake(
        token_limit=token_limit, token_period_s=token_s, flood_limit=room_limit,
        flood_period_s=room_s,
    ).start()  # fmt: skip
    rooms = tuple(f"bench-{n}" for n in range(max(1, options.rooms)))
    for room in rooms:
        fake.add_room(room)
    token = fake.add_token()
    _endpoint(
        "HIPCHAT", fake.url,
        [("auth_token", token, False), ("room", "${tags.room}", True), ("message", "", True)],
    )  # fmt: skip
    notes = (
        f"limits: token {token_limit:,} per {token_s:g} s, room {room_limit:,} per "
        f"{room_s:g} s ({why})",
        f"rooms: {len(rooms)} rooms, one endpoint and token",
    )
    return BenchTarget(
        "HIPCHAT", fake, accepted_posts(fake), web_binding("message"), rooms, notes,
        refused=lambda: sum(1 for r in fake.log if r.status == 429),
    )  # fmt: skip


def slack_target() -> BenchTarget:
    fake = SlackFake().start()
    fake.add_channel("bench")
    token = fake.add_token("xoxb-bench")
    _endpoint(
        "SLACK", fake.api_url,
        [("token", token, False), ("channels", "bench", True), ("text", "", True)],
    )  # fmt: skip
    return BenchTarget("SLACK", fake, lambda: len(fake.messages("bench")), web_binding("text"))


def discord_target() -> BenchTarget:
    fake = DiscordFake().start()
    hook = fake.add_webhook("bench")
    _endpoint(
        "DISCORD", fake.url,
        [("webhook_id", hook.id, False), ("webhook_token", hook.token, False),
         ("content", "", True)],
    )  # fmt: skip
    return BenchTarget("DISCORD", fake, lambda: len(fake.messages(hook)), web_binding("content"))


def teams_target() -> BenchTarget:
    fake = TeamsFake().start()
    url = fake.add_workflow("bench")
    _endpoint("TEAMS", "", [("webhook_url", url, False), ("text", "", True)])
    return BenchTarget("TEAMS", fake, lambda: len(fake.cards("bench")), web_binding("text"))


def telegram_target() -> BenchTarget:
    fake = TelegramFake().start()
    token = fake.add_bot("123456789:AAbench-token-0123456789abcdefghij")
    fake.add_chat(-1001000000001, type="channel", username="bench")
    _endpoint(
        "TELEGRAM", fake.url,
        [("bot_id", token, False), ("chat_id", "@bench", True), ("text", "", True),
         ("parse_mode", "Markdown", False)],
    )  # fmt: skip
    return BenchTarget("TELEGRAM", fake, lambda: len(fake.messages()), web_binding("text"))


#: The bench's own secret between the WEBHOOK endpoint and the fake that checks it.
HOOK_SECRET = "bench-hook-secret"  # noqa: S105 - a throwaway loopback secret


def webhook_target() -> BenchTarget:
    fake = WebhookReceiver(secret=HOOK_SECRET).start()
    _endpoint(
        "WEBHOOK", fake.hook_url,
        [("content_type", "application/json", False), ("secret", HOOK_SECRET, False)],
    )  # fmt: skip
    # Its payload is every window field: the binding has no message.
    return BenchTarget("WEBHOOK", fake, lambda: len(fake.received()), web_binding(""))


def custom_target() -> BenchTarget:
    fake = CustomApi(headers={"Authorization": "Token token=bench"}).start()
    _endpoint(
        "CUSTOM", "",
        [("method", "POST", False), ("content_type", "application/json", False),
         ("url", f"{fake.url}/incidents", False),
         ("headers", "Authorization: Token token=bench", False),
         ("body", '{"incident": {"title": "${text}"}}', False), ("auth_type", "NONE", False),
         ("text", "", True)],
    )  # fmt: skip
    return BenchTarget("CUSTOM", fake, lambda: len(fake.received()), web_binding("text"))


AWS_KEY_ID, AWS_SECRET = "AKIDBENCH", "bench-aws-secret"


def _aws_target(kind: str) -> BenchTarget:
    """AWS-SNS (a topic) or AWS-SQS (a queue) on one fake, signed with the bench's key."""
    fake = AwsFake().start()
    fake.add_key(AWS_KEY_ID, AWS_SECRET)
    if kind == "AWS-SNS":
        destination = fake.add_topic("bench")
        where = [("topicArn", destination, True), ("subject", "ATSD", False)]
    else:
        destination = fake.add_queue("bench")
        where = [("queueUrl", destination, True)]
    _endpoint(
        kind, fake.url,
        [("region", "us-east-1", False), *where, ("message", "", True),
         ("accessKeyId", AWS_KEY_ID, False), ("secretAccessKey", AWS_SECRET, False)],
    )  # fmt: skip
    return BenchTarget(kind, fake, lambda: len(fake.messages(destination)), web_binding("message"))


def aws_sns_target() -> BenchTarget:
    return _aws_target("AWS-SNS")


def aws_sqs_target() -> BenchTarget:
    return _aws_target("AWS-SQS")


def azure_sb_target() -> BenchTarget:
    fake = AzureServiceBusFake().start()
    fake.add_key("RootManageSharedAccessKey", "bench-azure-key")
    fake.add_entity("bench")
    _endpoint(
        "AZURE-SB", f"{fake.url}/bench/messages",
        [("servicebusNamespace", "bench", False), ("destination", "bench", True),
         ("pathParameters", "timeout=60", False),
         ("keyName", "RootManageSharedAccessKey", False),
         ("primaryKey", "bench-azure-key", False), ("headers", "", False),
         ("message", "", True)],
    )  # fmt: skip
    return BenchTarget(
        "AZURE-SB", fake, lambda: len(fake.messages("bench")), web_binding("message")
    )


def _service_account_key(email: str, key_id: str) -> tuple[str, str]:
    """A fresh RSA service-account key file (JSON, as Google hands it out) and its
    public key in PEM."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key_file = {"type": "service_account", "project_id": "bench", "private_key_id": key_id,
                "private_key": pem, "client_email": email, "client_id": "1",
                "token_uri": "https://oauth2.googleapis.com/token"}  # fmt: skip
    return json.dumps(key_file), public.decode()


def gcp_ps_target() -> BenchTarget:
    fake = PubSubFake().start()
    email = "bench@bench.iam.gserviceaccount.com"
    key_file, public_pem = _service_account_key(email, "bench-key")
    fake.add_service_account(email, "bench-key", public_pem)
    fake.add_topic("bench", "bench")
    _endpoint(
        "GCP-PS", f"{fake.url}/v1/projects/bench/topics/bench:publish",
        [("projectId", "bench", False), ("topic", "bench", True),
         ("serviceAccount", email, False), ("privateKeyAlias", "", False),
         ("serviceAccountKey", key_file, False), ("message", "", True)],
    )  # fmt: skip
    return BenchTarget(
        "GCP-PS", fake, lambda: len(fake.messages("bench", "bench")), web_binding("message")
    )


@dataclass
class _Arrival:
    received_at: float
    accepted: bool = True


class SmtpArrivals:
    """The bench's view of an SMTP server (:class:`devtools.fakes.smtp.SmtpServer`): a log
    of accepted messages stamped when a waiter sees them arrive (the server wakes its
    waiters on each message), with ``wait_for`` and ``stop`` as the HTTP fakes have."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server
        self.log: list[_Arrival] = []

    def _seen(self, predicate: Callable[[list[_Arrival]], bool]) -> bool:
        now = time.time()
        self.log += [_Arrival(now) for _ in range(len(self.server.received) - len(self.log))]
        return predicate(self.log)

    def wait_for(
        self, predicate: Callable[[list[_Arrival]], bool], timeout: float = 5.0
    ) -> list[_Arrival]:
        self.server.wait_until(lambda server: self._seen(predicate), timeout)
        return list(self.log)

    def stop(self) -> None:
        self.server.stop()


def email_target() -> BenchTarget:
    server = SmtpServer().start()
    MailClient(
        enabled=True, host=server.host, port=server.port, security=MailSecurity.NONE,
        sender="alerts@example.org",
    ).save()  # fmt: skip

    def bind(text: str) -> ActionSettings:
        """Rule ``bench`` with one ``<emailNotification>`` sending ``text`` on OPEN."""
        spec = EmailNotificationSpec(
            "bench", recipients="ops@example.org",
            open=EmailTriggerSettings(subject=text, body=f"<p>{text}</p>"),
        )  # fmt: skip
        rule = Rule.objects.create(
            name="bench", metric="m", expression="value > 0", window="length(1)",
            email_notifications_xml=write_email_notifications([spec], "bench"),
        )  # fmt: skip
        [action] = email_actions(rule)
        return action

    return BenchTarget("EMAIL", SmtpArrivals(server), lambda: len(server.received), bind)


#: The kinds the bench can send to, each with its fake service.
TARGETS: dict[str, Callable[[], BenchTarget]] = {
    "hipchat": hipchat_target,
    "slack": slack_target,
    "discord": discord_target,
    "teams": teams_target,
    "telegram": telegram_target,
    "webhook": webhook_target,
    "custom": custom_target,
    "aws-sns": aws_sns_target,
    "aws-sqs": aws_sqs_target,
    "azure-sb": azure_sb_target,
    "gcp-ps": gcp_ps_target,
    "email": email_target,
}


def run_all(options: Options, kinds: list[str]) -> list[str]:
    """Each of ``kinds`` in turn (a fresh endpoint, binding and rule each); their lines,
    then, when HipChat ran too, each kind's p99 as a multiple of HipChat's."""
    lines: list[str] = []
    p99s: dict[str, float] = {}
    for kind in kinds:
        Endpoint.objects.all().delete()
        RuleNotification.objects.all().delete()
        Rule.objects.all().delete()
        MailClient.objects.all().delete()
        lines.append(f"kind: {kind}")
        target = hipchat_target(options) if kind == "hipchat" else TARGETS[kind]()
        latencies = run(options, target, lines)
        p99s[kind] = percentile(latencies, 99)
    if "hipchat" in p99s:
        lines += [
            f"{kind} ratio to hipchat p99: {p99 / p99s['hipchat']:.1f}"
            for kind, p99 in p99s.items()
        ]
    return lines


@contextlib.contextmanager
def notify_workers(options: Options) -> Iterator[str]:
    """The notify workers of the run, stopped at the end; yields how they run.

    ``workers`` 0: one solo worker in a thread of this process. Otherwise that many
    ``celery worker -Q notify -P threads`` processes on this environment's database and
    Redis, stopped with SIGTERM (a warm shutdown) at the end.
    """
    if options.workers <= 0:
        with start_worker(
            app, pool="solo", concurrency=1, queues=[NOTIFY_QUEUE], perform_ping_check=False,
            loglevel="ERROR", shutdown_timeout=30,
        ):  # fmt: skip
            yield "in-process notify worker (solo)"
        return
    celery = [sys.executable, "-m", "celery", "-A", "atsd_alerts", "-q", "worker"]
    command = [*celery, "-Q", NOTIFY_QUEUE, "-P", "threads", "-c", str(options.threads)]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "ERROR"]
    # The bench's private Redis is a throw-away without an append-only file.
    env = {**os.environ, "REDIS_CONFIG_CHECK": "false"}
    processes = [
        subprocess.Popen([*command, "-n", f"bench-notify-{n}@%h"], cwd=ROOT, env=env)
        for n in range(options.workers)
    ]
    try:
        yield f"{options.workers} notify worker processes x {options.threads} threads"
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def accepted_posts(fake: HipChatFake) -> Callable[[], int]:
    """Counts the room posts ``fake`` accepted, looking at each log entry once."""
    seen = [0, 0]  # entries looked at, accepted room posts among them

    def count() -> int:
        log = fake.log
        seen[1] += sum(1 for r in log[seen[0] :] if r.accepted and r.room is not None)
        seen[0] = len(log)
        return seen[1]

    return count


def run(options: Options, target: BenchTarget, lines: list[str]) -> list[float]:
    """Run the bench in this (fresh) environment: append its ``label: value unit`` lines
    to ``lines``; return the one-at-a-time latencies (ms)."""
    burst, samples = options.burst, options.samples
    fake, received = target.fake, target.received
    rooms = target.rooms
    action = target.bind("[${status}] ${rule} for ${entity} ${tags}. ${ruleLink}")
    engine = Engine(zone="UTC")
    engine.install(
        RuleDefinition(
            name="bench", metric="m", expression="value > 0", window="length(1)",
            actions=(action,),
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
                kind=SERIES, entity=f"e{i}", metric="m",
                tags={"room": rooms[i % len(rooms)]} if rooms else {}, time_ms=now,
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

    with notify_workers(options) as workers:
        # Warm-up: connections, caches, templates.
        ids = store(20)
        dispatch_triggers(ids)
        warm = max(20, min(len(rooms), 400))  # every room's connection and first answer
        ids = store(warm - 20)
        dispatch_triggers(ids)
        fake.wait_for(lambda log: received() >= warm, timeout=120)

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
    lines.append(f"mode: in-process fake {target.kind}, {workers} on Redis")
    lines += target.notes
    lines.append(f"notifications: {burst} notifications")
    lines.append(f"throughput: {rate:,.0f} notifications/s")
    lines.append(f"p50: {percentile(latencies, 50):.1f} ms")
    lines.append(f"p99: {percentile(latencies, 99):.1f} ms")
    lines.append(f"429 answers: {target.refused()} answers")
    return latencies
