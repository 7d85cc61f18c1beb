"""The partitions living in this engine worker process, and rule reloads.

One engine worker consumes one partition queue (concurrency 1), so the windows of a
partition live in exactly one process (design invariant 1). Tests run one worker on
every partition queue, which is equally safe: still one owner per partition.
"""

from __future__ import annotations

import logging

from django.conf import settings

from rules import limits
from rules.contract.triggers import TriggerSnapshot
from rules.engine.evaluator import Engine
from rules.runtime.definitions import load_definitions
from rules.runtime.lost_windows import close_vanished_alerts
from rules.runtime.partition import Partition
from rules.runtime.registry_cache import RegistryCache
from rules.runtime.store import record_rule_error, store_items
from rules.runtime.versions import current_version

log = logging.getLogger(__name__)

_partitions: dict[int, Partition] = {}
_versions: dict[int, int] = {}
registry_cache = RegistryCache()


def sync_rules(engine: Engine, now_ms: int) -> list[TriggerSnapshot]:
    """Install every enabled rule, drop the others; a rule that fails to compile is a
    Rule Error and keeps running in its previous (installed) version, if any."""
    triggers: list[TriggerSnapshot] = []
    wanted = set()
    for definition in load_definitions():
        wanted.add(definition.name)
        try:
            triggers.extend(engine.install(definition, now_ms))
        except Exception as exc:  # a broken rule must not stop the partition
            log.warning("rule %s cannot be installed: %s", definition.name, exc)
            record_rule_error(definition.name, f"rule not installed: {exc}", definition.expression)
    for name in list(engine.rules):
        if name not in wanted:
            triggers.extend(engine.drop_rule(name, now_ms))
    return triggers


def new_engine() -> Engine:
    return Engine(
        zone=settings.TIME_ZONE,
        entity_lookup=registry_cache.entity,
        metric_lookup=registry_cache.metric,
        cancel_on_rule_change=settings.CANCEL_ON_RULE_CHANGE,
        window_limits=limits.window_limits(),
        max_windows=limits.max_windows(),
    )


def get_partition(number: int) -> Partition:
    """This process's partition ``number``, recovered on first use, rules up to date."""
    part = _partitions.get(number)
    version = current_version()
    if part is None:
        engine = new_engine()
        part = Partition(number, engine, lambda items: store_items(number, items))
        sync_rules(engine, 0)  # the journal replay decides what state results
        close_vanished_alerts(part, part.recover())
        _partitions[number] = part
        _versions[number] = version
        part.replace_rules(sync_rules)  # rules may have changed while nobody ran
    elif _versions.get(number) != version:
        _versions[number] = version
        part.replace_rules(sync_rules)
    return part


def forget_partitions() -> None:
    """Drop in-process state (tests simulate a restarted worker with it)."""
    _partitions.clear()
    _versions.clear()
