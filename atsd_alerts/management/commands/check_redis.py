"""``python manage.py check_redis``: does the broker's Redis keep what it is given?

Prints what the server says (or why it is refused) and exits 1 when it would evict
or forget data; ``make run`` runs it before starting anything.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from atsd_alerts.redis_check import RedisNotDurableError, check_redis


class Command(BaseCommand):
    help = "Check that the Redis at REDIS_URL persists (AOF) and never evicts keys."

    def handle(self, *args: object, **options: object) -> None:
        if not settings.REDIS_CONFIG_CHECK:
            self.stdout.write("Redis durability check skipped (REDIS_CONFIG_CHECK=false)")
            return
        try:
            found = check_redis(settings.REDIS_URL)
        except RedisNotDurableError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Redis keeps its data: maxmemory-policy {found.maxmemory_policy}, appendonly "
            f"yes{f', appendfsync {found.appendfsync}' if found.appendfsync else ''} "
            f"(read with {found.source})"
        )
