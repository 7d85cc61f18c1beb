"""``python manage.py bench_pipeline``: TCP → Celery → engine → alert rows, end to end."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from devtools.bench import pipeline as bench_pipeline

# The stages in the order a sample meets them (atsd_alerts.stage_timing names).
STAGES = (
    "listener parse", "registries", "routing", "inbox append", "wake-up", "chart history",
    "inbox read", "decode", "engine", "journal write", "alert store", "snapshot",
    "window summaries",
)  # fmt: skip


class Command(BaseCommand):
    help = "Sustained samples/s and sample→alert-row latency on the `make run` layout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--samples", type=int, default=500_000)
        parser.add_argument("--series", type=int, default=10_000)
        parser.add_argument("--connections", type=int, default=4)
        parser.add_argument(
            "--rate", type=float, default=50_000, help="paced run, samples/s (0 = no paced run)"
        )
        parser.add_argument("--partitions", type=int, default=2, help="ENGINE_PARTITIONS")
        parser.add_argument("--listeners", type=int, default=1, help="TCP_LISTENERS")
        parser.add_argument(
            "--profile",
            action="store_true",
            help="time each pipeline stage inside the stack's processes (flat-out run)",
        )

    def handle(self, *args: object, **options: Any) -> None:
        result = bench_pipeline.run(
            options["samples"],
            options["series"],
            options["connections"],
            options["rate"],
            partitions=options["partitions"],
            listeners=options["listeners"],
            profile=options["profile"],
        )
        flat = result["throughput"]
        write = self.stdout.write
        write(f"partitions: {result['partitions']} processes")
        write(f"listeners: {result['listeners']} processes")
        write(f"samples: {flat['samples']:,} samples")
        write(f"elapsed: {flat['elapsed_s']:.2f} s")
        write(f"pipeline: {flat['samples_per_s']:,.0f} samples/s")
        lost = flat["lost_markers"]
        paced = result.get("latency")
        if paced is not None:
            lost += paced["lost_markers"]
            rate = result["rate"]
            write(f"paced run: {paced['samples_per_s']:,.0f} samples/s (sent at {rate:,.0f})")
            write(f"markers: {paced['markers']:,} alerts")
            write(f"p50: {paced['p50_ms']:.0f} ms")
            write(f"p99: {paced['p99_ms']:.0f} ms")
        write(f"lost markers: {lost}")
        if "stages" in result:
            self.write_profile(flat["samples"], result["stages"])
        self.write_cpu(flat["samples"], result["cpu"])

    def write_profile(self, samples: int, stages: dict[str, dict[str, int]]) -> None:
        """Per stage: time per 1,000 samples, share of all stage time, and the samples/s
        the stage alone could carry on one core."""
        write = self.stdout.write
        total_ns = sum(values["ns"] for values in stages.values()) or 1
        ordered = [s for s in STAGES if s in stages] + sorted(set(stages) - set(STAGES))
        for stage in ordered:
            ns = stages[stage]["ns"]
            write(f"stage {stage}: {ns / 1e6 / samples * 1000:.3f} ms per 1,000 samples")
            write(f"stage {stage} share: {100 * ns / total_ns:.1f} %")
            if ns:
                write(f"stage {stage} alone: {samples / (ns / 1e9):,.0f} samples/s")
            write(f"stage {stage} calls: {stages[stage]['calls']:,} calls")
        write(f"stages total: {total_ns / 1e6 / samples * 1000:.3f} ms per 1,000 samples")

    def write_cpu(self, samples: int, cpu: dict[str, float]) -> None:
        """CPU seconds of each process role in the flat-out run, and in all per sample."""
        write = self.stdout.write
        cpu_total = sum(cpu.values()) or 1.0
        for role, seconds in sorted(cpu.items(), key=lambda item: -item[1]):
            write(f"cpu {role}: {seconds:.2f} s")
            write(f"cpu {role} share: {100 * seconds / cpu_total:.1f} %")
        write(f"cpu total: {cpu_total:.2f} s")
        write(f"cpu per 1,000 samples: {cpu_total * 1000 / samples * 1000:.2f} ms")
