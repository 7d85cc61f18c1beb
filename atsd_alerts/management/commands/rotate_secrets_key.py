"""``python manage.py rotate_secrets_key``: re-encrypt every stored secret with the first key.

Rotation (README, Production checklist):

1. ``manage.py rotate_secrets_key --generate`` prints a new key.
2. Set ``SECRETS_KEY=NEW,OLD`` for every process and restart them: values encrypted
   with either key can be read, new values are written with NEW.
3. ``manage.py rotate_secrets_key``: every encrypted column is rewritten with NEW.
4. Set ``SECRETS_KEY=NEW`` and restart: OLD opens nothing any more.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import models, transaction

from atsd_alerts.encryption import EncryptedJSONField, EncryptedTextField
from atsd_alerts.env import fernet_key

ENCRYPTED = (EncryptedJSONField, EncryptedTextField)


def encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    """Every installed model with encrypted columns, and the names of those columns."""
    found = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, ENCRYPTED)]
        if names:
            found.append((model, names))
    return found


def reencrypt_all() -> dict[str, int]:
    """Rewrite every encrypted column with the first key; ``{model label: rows}``."""
    counts: dict[str, int] = {}
    with transaction.atomic():
        for model, names in encrypted_fields():
            rows = 0
            manager = model._default_manager
            for row in list(manager.select_for_update().only("pk", *names)):
                # Reading decrypts with any configured key; update() encrypts with the first.
                manager.filter(pk=row.pk).update(**{n: getattr(row, n) for n in names})
                rows += 1
            counts[model._meta.label] = rows
    return counts


class Command(BaseCommand):
    help = "Re-encrypt every stored secret with the first key of SECRETS_KEY."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--generate", action="store_true", help="print a new key and change nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["generate"]:
            self.stdout.write(fernet_key())
            return
        for label, rows in reencrypt_all().items():
            self.stdout.write(f"{label}: {rows} row(s) re-encrypted")
