"""``manage.py bench_engine``: engine samples/s beside a minimal loop (devtools.bench.engine)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from devtools.bench import engine as bench


class Command(BaseCommand):
    help = "Measure rule-engine throughput against a minimal loop over the same samples."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--series", type=int, default=10_000, help="number of series")
        parser.add_argument("--rounds", type=int, default=30, help="samples per series")
        parser.add_argument("--repeat", type=int, default=5, help="runs per figure (best kept)")

    def handle(self, *args: Any, **options: Any) -> None:
        bench.run(
            n_series=options["series"],
            rounds=options["rounds"],
            repeat=options["repeat"],
            out=self.stdout.write,
        )
