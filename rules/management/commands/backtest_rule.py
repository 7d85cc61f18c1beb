"""``python manage.py backtest_rule NAME [--hours N] [--json]``: the saved rule replayed
over the last N hours of the series history in a sandbox (rules.backtest): its
OPEN/REPEAT/CANCEL sequence, its windows and the messages its bindings would have sent.
Nothing is stored or sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from redis import RedisError

from rules.backtest.inputs import parse_hours
from rules.backtest.limits import configured
from rules.backtest.report import build_report
from rules.backtest.runner import run_backtest
from rules.backtest.source import BacktestError
from rules.models import Rule
from rules.partition.definitions import definition_of


def _time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Command(BaseCommand):
    help = (
        "Replay a saved rule over the last N hours of the series history, without "
        "storing alerts or sending notifications, and print what it would have done."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the rule's name")
        parser.add_argument("--hours", default="1", help="hours of history replayed (1)")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: object, **options: Any) -> None:
        rule = Rule.objects.filter(name=options["name"]).first()
        if rule is None:
            raise CommandError(f"no rule named {options['name']!r}")
        limits = configured()
        try:
            hours = parse_hours(options["hours"], limits)
            report = build_report(run_backtest(definition_of(rule), hours, limits), limits)
        except BacktestError as exc:
            raise CommandError(f"{exc.field}: {exc}") from exc
        except RedisError as exc:
            raise CommandError(f"series history unavailable: {exc}") from exc
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=1))
            return
        self._print(report)

    def _print(self, report: dict[str, Any]) -> None:
        write = self.stdout.write
        write(
            f"rule {report['rule']}: {report['samples']} samples from "
            f"{_time(report['start'])} to {_time(report['end'])}, "
            f"{report['triggers_total']} triggers"
        )
        if report["stopped"]:
            write(f"stopped: {report['stopped']}")
        for step in report["sequence"]:
            write(f"{_time(step['time'])}  {step['status']:<6}  {step['window']}  {step['value']}")
        write("windows:")
        for window in report["windows"]:
            counts = ", ".join(f"{k} {v}" for k, v in window["counts"].items())
            write(f"  {window['key']}  {window['status']}  ({counts})")
        for message in report["messages"]:
            step = report["sequence"][message["trigger"]]
            head = f"{_time(step['time'])} {message['status']} {message['action']}"
            if message["skipped"]:
                write(f"message {head}: not sent: {message['skipped']}")
            else:
                write(f"message {head} → {message['endpoint']}:\n{message['text']}")
        for error in report["errors"]:
            write(f"rule error {_time(error['time'])} {error['window'] or ''}: {error['error']}")
