"""``python manage.py bench_notify --kind K``: notifications/s and trigger→receipt latency
against the fake service of each kind on loopback; see :mod:`devtools.bench.notify`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from devtools.bench import notify


class Command(BaseCommand):
    help = "Notifications/s and trigger→receipt latency against fake services on loopback."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--burst", type=int, default=500, help="triggers in the burst")
        parser.add_argument("--samples", type=int, default=200, help="one-at-a-time triggers")
        parser.add_argument("--rooms", type=int, default=1, help="HipChat rooms to spread over")
        parser.add_argument(
            "--workers", type=int, default=0,
            help="notify worker processes (default 0: one solo worker in-process)",
        )  # fmt: skip
        parser.add_argument("--threads", type=int, default=4, help="threads per worker process")
        parser.add_argument(
            "--limits", choices=("raised", "documented"), default="raised",
            help="HipChat's limits: a Server's raised ones, or Cloud's documented ones",
        )  # fmt: skip
        parser.add_argument(
            "--minute", type=float, default=60.0,
            help="seconds a documented minute lasts on the fake (--limits documented)",
        )  # fmt: skip
        parser.add_argument(
            "--kind",
            default="hipchat",
            help=f"comma-separated kinds, or 'all' ({', '.join(notify.TARGETS)})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        bench = notify.Options(
            burst=int(options["burst"]), samples=int(options["samples"]),
            rooms=int(options["rooms"]), workers=int(options["workers"]),
            threads=int(options["threads"]), limits=str(options["limits"]),
            minute_s=float(options["minute"]),
        )  # fmt: skip
        raw = str(options["kind"]).lower()
        kinds = list(notify.TARGETS) if raw == "all" else [k.strip() for k in raw.split(",")]
        unknown = [k for k in kinds if k not in notify.TARGETS]
        if unknown:
            raise CommandError(
                f"unknown kind {', '.join(unknown)}: one of {', '.join(notify.TARGETS)}"
            )
        if not notify.in_fresh_environment():
            done = notify.respawn(bench, kinds)
            self.stdout.write(done.stdout.rstrip())
            if done.returncode:
                self.stderr.write(done.stderr[-4000:])
                raise SystemExit(done.returncode)
            return
        for line in notify.run_all(bench, kinds):
            self.stdout.write(line)
