"""``python manage.py feed``: demo samples for one entity and metric through the TCP
listener; see :mod:`devtools.feed`."""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from devtools.feed import (
    PATTERNS,
    FeedError,
    backfill_times,
    parse_tags,
    pattern_values,
    send_lines,
    series_line,
)


class Command(BaseCommand):
    help = (
        "Send demo series samples for one entity and metric to the TCP command listener "
        "(high: opens the walkthrough rule, low: cancels it, wave: both in turn)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--entity", default="atsd", help="entity (default atsd)")
        parser.add_argument(
            "--metric",
            default="jvm_memory_used_percent",
            help="metric (default jvm_memory_used_percent)",
        )
        parser.add_argument("--host", default=settings.TCP_LISTENER_HOST)
        parser.add_argument("--port", type=int, default=settings.TCP_LISTENER_PORT)
        parser.add_argument("--pattern", choices=PATTERNS, default="wave")
        parser.add_argument(
            "--count", type=int, default=10, help="samples to send; 0 = until Ctrl-C (default 10)"
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between samples (default 1)"
        )
        parser.add_argument(
            "--backfill",
            type=float,
            default=0,
            metavar="MINUTES",
            help="give the samples times spread over the last MINUTES minutes (charts get "
            "history at once; use --interval 0); default: stamped on arrival",
        )
        parser.add_argument(
            "--tags",
            action="append",
            default=[],
            metavar="NAME=VALUE[,NAME=VALUE]",
            help="series tags, e.g. host=axibase; repeatable",
        )

    def handle(self, *args: object, **options: object) -> None:
        count, interval = int(options["count"]), float(options["interval"])  # type: ignore[call-overload,arg-type]
        backfill = float(options["backfill"])  # type: ignore[arg-type]
        if count < 0 or interval < 0 or backfill < 0:
            raise CommandError("--count, --interval and --backfill must not be negative")
        if backfill and not count:
            raise CommandError("--backfill needs a --count")
        try:
            tags = parse_tags(options["tags"])  # type: ignore[arg-type]
        except ValueError as exc:
            raise CommandError(f"--tags: {exc}") from None
        entity, metric = str(options["entity"]), str(options["metric"])
        host, port = str(options["host"]), int(options["port"])  # type: ignore[call-overload]
        values = pattern_values(str(options["pattern"]), count)
        if backfill:
            times = backfill_times(count, backfill, int(time.time() * 1000))
            lines: Iterable[str] = (
                series_line(entity, metric, value, tags, at)
                for value, at in zip(values, times, strict=True)
            )
        else:
            lines = (series_line(entity, metric, value, tags) for value in values)
        verbose = int(options.get("verbosity", 1)) >= 1  # type: ignore[call-overload]
        accepted = 0

        def sent(line: str) -> None:
            nonlocal accepted
            accepted += 1
            if verbose:
                self.stdout.write(line)
                self.stdout.flush()

        try:
            send_lines(lines, host, port, interval_s=interval, sent=sent)
        except KeyboardInterrupt:
            pass  # count 0 runs until Ctrl-C: say what was sent
        except FeedError as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(
                f"cannot send to the TCP listener at {host}:{port} ({exc}); is `make run` up?"
            ) from None
        self.stdout.write(f"{accepted} sample{'s' if accepted != 1 else ''} sent to {host}:{port}")
