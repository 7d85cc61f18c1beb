"""``python manage.py import_rules FILE [--enable]``: the Import page from a shell."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rules.rulesxml import import_rules


class Command(BaseCommand):
    help = "Import an ATSD rules.xml file (one transaction: all rules or none)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--enable", action="store_true", help="Auto-enable New Rules: force enabled=true"
        )

    def handle(self, *args: object, **options: object) -> None:
        path = options["file"]
        assert isinstance(path, Path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from exc
        report = import_rules(data, auto_enable=bool(options["enable"]))
        for result in report.rules:
            self.stdout.write(f"{result.outcome}: {result.name}")
            for failure in result.failures:
                self.stdout.write(f"  {failure}")
        if not report.saved:
            raise CommandError(f"nothing imported from {path}: {len(report.failed)} rule(s) failed")
