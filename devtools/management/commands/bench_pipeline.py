"""``python manage.py bench_pipeline``: TCP → Celery → engine → alert rows, end to end."""

from django.core.management.base import BaseCommand, CommandParser

from devtools.bench import pipeline as bench_pipeline


class Command(BaseCommand):
    help = "Sustained samples/s and sample→alert-row latency on the `make run` layout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--samples", type=int, default=500_000)
        parser.add_argument("--series", type=int, default=10_000)
        parser.add_argument("--connections", type=int, default=4)
        parser.add_argument("--rate", type=float, default=50_000, help="paced run, samples/s")

    def handle(self, *args: object, **options: object) -> None:
        result = bench_pipeline.run(
            int(options["samples"]),  # type: ignore[call-overload]
            int(options["series"]),  # type: ignore[call-overload]
            int(options["connections"]),  # type: ignore[call-overload]
            float(options["rate"]),  # type: ignore[arg-type]
        )
        flat, paced = result["throughput"], result["latency"]
        write = self.stdout.write
        write(f"samples: {flat['samples']:,} samples")
        write(f"elapsed: {flat['elapsed_s']:.2f} s")
        write(f"pipeline: {flat['samples_per_s']:,.0f} samples/s")
        write(f"paced run: {paced['samples_per_s']:,.0f} samples/s (sent at {result['rate']:,.0f})")
        write(f"markers: {paced['markers']:,} alerts")
        write(f"lost markers: {flat['lost_markers'] + paced['lost_markers']}")
        write(f"p50: {paced['p50_ms']:.0f} ms")
        write(f"p99: {paced['p99_ms']:.0f} ms")
