"""``python manage.py bench_ingest``: command-parser throughput against a naive split loop."""

from django.core.management.base import BaseCommand, CommandParser

from devtools.bench.ingest import run_bench


class Command(BaseCommand):
    help = "Measure parse_command on generated series lines against a naive str.split loop."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--lines", type=int, default=200_000, help="lines per run")

    def handle(self, *args: object, **options: object) -> None:
        lines = int(options["lines"])  # type: ignore[call-overload]
        figures = run_bench(lines)
        self.stdout.write(f"lines: {int(figures['lines']):,} lines")
        self.stdout.write(f"parser: {figures['parser_lines_per_s']:,.0f} lines/s")
        self.stdout.write(f"naive split loop: {figures['naive_lines_per_s']:,.0f} lines/s")
        self.stdout.write(f"ratio: {figures['ratio']:.2f}")
