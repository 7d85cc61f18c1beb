"""``python manage.py export_rules [NAME ...] [--include-secrets]``: rules.xml to stdout."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rules.models.rule import Rule
from rules.rulesxml import export_rules


class Command(BaseCommand):
    help = (
        "Write rules.xml of the named rules (all without names) to stdout; "
        "web-notification tokens are left empty unless --include-secrets."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("names", nargs="*", help="rule names (default: every rule)")
        parser.add_argument(
            "--include-secrets", action="store_true", help="write web-notification tokens too"
        )

    def handle(self, *args: object, **options: object) -> None:
        names = list(options["names"])  # type: ignore[call-overload]
        rules = Rule.objects.filter(name__in=names) if names else Rule.objects.all()
        missing = set(names) - set(rules.values_list("name", flat=True))
        if missing:
            raise CommandError(f"no such rule(s): {', '.join(sorted(missing))}")
        data = export_rules(rules, include_secrets=bool(options["include_secrets"]))
        self.stdout.write(data.decode("utf-8"), ending="")
