"""``manage.py bench_memory``: RSS of a partition holding many windows, and its snapshot
(devtools.bench.memory)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from devtools.bench import memory as bench


class Command(BaseCommand):
    help = "Measure the memory of a partition with many count(10) windows and its snapshot."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--windows", type=int, default=1_000_000, help="windows to build")
        parser.add_argument("--rules", type=int, default=10, help="rules holding them")
        parser.add_argument("--samples", type=int, default=10, help="samples per window")
        parser.add_argument(
            "--shared-metric", action="store_true",
            help="all rules on one metric (an event reaches every rule) instead of one each",
        )  # fmt: skip
        parser.add_argument(
            "--changed", type=float, default=0.01,
            help="share of the series given one more sample before the second checkpoint",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        bench.run(
            windows=options["windows"],
            rules=options["rules"],
            samples=options["samples"],
            shared_metric=options["shared_metric"],
            changed_share=options["changed"],
            out=self.stdout.write,
        )
