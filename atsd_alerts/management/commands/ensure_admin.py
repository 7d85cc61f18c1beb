"""``python manage.py ensure_admin``: create the first administrator once.

The password is ADMIN_PASSWORD when set, else generated and printed this one time.
"""

import os
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandParser

from atsd_alerts.accounts import ADMINISTRATORS


class Command(BaseCommand):
    help = "Create the administrator account on first start and print its password once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default=os.environ.get("ADMIN_USERNAME", "admin"))

    def handle(self, *args: object, **options: object) -> None:
        username = str(options["username"])
        users = get_user_model().objects
        if users.filter(username=username).exists():
            self.stdout.write(f"admin login: {username} (password as set on first start)")
            return
        password = os.environ.get("ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        user = users.create_superuser(username=username, email="", password=password)
        user.groups.add(Group.objects.get_or_create(name=ADMINISTRATORS)[0])
        shown = "(from ADMIN_PASSWORD)" if os.environ.get("ADMIN_PASSWORD") else password
        self.stdout.write(f"admin login: {username} / {shown}  (shown once; change it later)")
