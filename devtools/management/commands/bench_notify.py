"""``python manage.py bench_notify``: notifications/s and trigger→receipt latency against a
fake HipChat on loopback; see :mod:`devtools.bench.notify`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from devtools.bench import notify


class Command(BaseCommand):
    help = "Notifications/s and trigger→receipt latency against a fake HipChat on loopback."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--burst", type=int, default=500, help="triggers in the burst")
        parser.add_argument("--samples", type=int, default=200, help="one-at-a-time triggers")

    def handle(self, *args: Any, **options: Any) -> None:
        burst, samples = int(options["burst"]), int(options["samples"])
        if not notify.in_fresh_environment():
            done = notify.respawn(burst, samples)
            self.stdout.write(done.stdout.rstrip())
            if done.returncode:
                self.stderr.write(done.stderr[-4000:])
                raise SystemExit(done.returncode)
            return
        for line in notify.run(burst, samples):
            self.stdout.write(line)
