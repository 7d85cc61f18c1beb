"""``python manage.py listen_tcp``: the network command listener (ATSD port 8081)."""

import asyncio
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from atsd_alerts.gc_tuning import tune_for_throughput
from atsd_alerts.redis_check import require_durable_redis
from rules.events import Event
from rules.ingest.pipeline import HandOffResult, hand_off
from rules.ingest.tcp import CommandListener


def hand_off_between_connections(events: list[Event]) -> HandOffResult:
    """``hand_off`` as a web request runs it: a database connection that broke (the
    server restarted) or aged past CONN_MAX_AGE is replaced first, not used forever."""
    close_old_connections()
    return hand_off(events)


class Command(BaseCommand):
    help = "Accept series/message/property network commands over TCP."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.TCP_LISTENER_HOST)
        parser.add_argument("--port", type=int, default=settings.TCP_LISTENER_PORT)

    def handle(self, *args: object, **options: object) -> None:
        require_durable_redis("listener")
        asyncio.run(self._serve(str(options["host"]), int(options["port"])))  # type: ignore[call-overload]

    async def _serve(self, host: str, port: int) -> None:
        listener = CommandListener(
            hand_off_between_connections,
            disconnect_on_error=settings.INPUT_DISCONNECT_ON_ERROR,
            batch_size=settings.INGEST_BATCH_SIZE,
            flush_ms=settings.INGEST_FLUSH_MS,
            allowed_networks=settings.TCP_ALLOWED_NETWORKS,
            max_connections=settings.TCP_MAX_CONNECTIONS,
            idle_timeout_s=settings.TCP_IDLE_TIMEOUT,
            stop_timeout_s=settings.TCP_STOP_TIMEOUT,
        )
        # More than one listener process (TCP_LISTENERS) share the port.
        shared = settings.TCP_LISTENERS > 1
        bound = await listener.start(host, port, reuse_port=shared)
        tune_for_throughput()
        networks = ", ".join(str(network) for network in listener.networks)
        sharing = f", one of {settings.TCP_LISTENERS} sharing the port" if shared else ""
        self.stdout.write(
            f"TCP command listener on {host}:{bound} for {networks}{sharing}", ending="\n"
        )
        self.stdout.flush()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        # What was read is handed off before exit (for up to TCP_STOP_TIMEOUT seconds).
        await listener.stop()
        self.stdout.write(
            f"TCP command listener stopped: {listener.accepted} commands accepted, "
            f"{listener.failed} invalid, {listener.lost} events not handed off",
            ending="\n",
        )
