"""A committed rule change is announced: the rules version moves and every partition
is woken to reload now, not at its next event.

Rule saves and deletes announce themselves (the receivers below, connected when the
rules app is ready); a change of a rule's actions made without a save (the Web
Notifications tab) is announced through rules.contract.changes.
"""

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from rules.models import Rule
from rules.partition.tasks import engine_queue, tick_partition
from rules.partition.versions import bump_version


def announce_rules_changed() -> None:
    """Bump the version and wake every partition so it reloads now, not at its next event."""
    bump_version()
    for partition in range(settings.ENGINE_PARTITIONS):
        tick_partition.apply_async(args=[partition], queue=engine_queue(partition))


@receiver(post_save, sender=Rule)
@receiver(post_delete, sender=Rule)
def _rule_changed(sender: type, **kwargs: object) -> None:
    transaction.on_commit(announce_rules_changed)
