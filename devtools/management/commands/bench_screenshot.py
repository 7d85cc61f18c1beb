"""``python manage.py bench_screenshot``: web-driver cold start, warm p50/p95, PNG size;
see :mod:`devtools.bench.screenshot`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from devtools.bench import screenshot


class Command(BaseCommand):
    help = "Time screenshots of the Default portal with the pooled web driver."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--shots", type=int, default=20, help="warm screenshots to time")

    def handle(self, *args: Any, **options: Any) -> None:
        for line in screenshot.run(int(options["shots"])):
            self.stdout.write(line)
