"""Keep ``Rule.web_notifications_xml`` and the rule's ``RuleNotification`` rows in step.

Two directions, never both for one change:

* XML → rows: every ``Rule`` save (rules.xml import, the rule editor, the enable
  toggle, the admin) runs :func:`sync_rows_from_rule` through ``post_save``. When the
  rows already hold the rule's bindings, nothing is written; otherwise the rule's rows
  are replaced in the save's transaction. Deleting a rule deletes its rows.
* rows → XML: the Web Notifications tab edits rows, then calls
  :func:`publish_bindings`, which hands them to the rule as specs
  (``rules.contract.rule_bindings.save_web_notifications``: no ``post_save``, hence no
  loop; the engine reloads the rule's actions after commit).

The rules app never imports this module: the receivers are connected by
``NotificationsConfig.ready`` with the lazy sender ``"rules.Rule"``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from notifications.bindings.rows import row_fields, same_bindings, specs_of
from notifications.models import RuleNotification
from rules.contract.bindings import NAME_PREFIX, WebNotificationSpec
from rules.contract.rule_bindings import (
    rename_web_notifications,
    save_web_notifications,
    web_notification_specs,
)

logger = logging.getLogger(__name__)

RULE_MODEL = "rules.Rule"
_NAME_ID_RE = re.compile(re.escape(NAME_PREFIX) + r"(\d+)$")


def unique_names(specs: list[WebNotificationSpec]) -> list[WebNotificationSpec]:
    """``specs`` with names that repeat inside the rule (rows are unique per rule and
    name) given a `` (2)``, `` (3)`` … suffix."""
    seen: set[str] = set()
    out = []
    for spec in specs:
        name, suffix = spec.name, 2
        while name in seen:
            name = f"{spec.name} ({suffix})"
            suffix += 1
        seen.add(name)
        out.append(spec if name == spec.name else replace(spec, name=name))
    return out


def sync_rows_from_rule(rule: Any) -> bool:
    """Make the rows of ``rule`` hold its bindings; True when rows changed.

    Rows are compared with the bindings field by field (not as text), so a save that
    did not touch the notifications writes nothing and keeps row ids. When names had
    to be made unique, the renamed bindings are written back so that XML and rows
    agree. Raises ``WebNotificationError`` for an unreadable element.
    """
    read = web_notification_specs(rule)
    specs = unique_names(read)
    with transaction.atomic():
        current = list(
            RuleNotification.objects.select_for_update()
            .filter(rule_name=rule.name)
            .order_by("position", "id")
        )
        if same_bindings(current, specs):
            return False
        RuleNotification.objects.filter(rule_name=rule.name).delete()
        rows = RuleNotification.objects.bulk_create(
            RuleNotification(rule_name=rule.name, position=position, **row_fields(spec))
            for position, spec in enumerate(specs)
        )
        if specs != read:
            rename_web_notifications(rule, specs)
    logger.info("rule %r: %d web notification binding(s) loaded from XML", rule.name, len(rows))
    return True


def publish_bindings(rule: Any) -> None:
    """Make the rows of ``rule`` its bindings (``Rule.web_notifications_xml``).

    Call inside the transaction that changed the rows; the rules change is announced
    after commit (``rules.contract.rule_bindings.save_web_notifications``).
    """
    rows = RuleNotification.objects.filter(rule_name=rule.name).order_by("position", "id")
    save_web_notifications(rule, specs_of(rows))


def next_binding_name(rule_name: str) -> str:
    """A free ``Web Service Notification id=<n>`` for a new binding of ``rule_name``."""
    names = set(RuleNotification.objects.filter(rule_name=rule_name).values_list("name", flat=True))
    ids = [int(m.group(1)) for m in map(_NAME_ID_RE.match, names) if m]
    number = max(ids, default=0) + 1
    while f"{NAME_PREFIX}{number}" in names:
        number += 1
    return f"{NAME_PREFIX}{number}"


def next_position(rule_name: str) -> int:
    """The position after the rule's last binding."""
    last = (
        RuleNotification.objects.filter(rule_name=rule_name)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    return 0 if last is None else last + 1


# ----------------------------------------------------------------- receivers


def _rule_saved(sender: type, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return  # loaddata: fixtures bring their own rows
    sync_rows_from_rule(instance)


def _rule_deleted(sender: type, instance: Any, **kwargs: Any) -> None:
    RuleNotification.objects.filter(rule_name=instance.name).delete()


def connect_signals() -> None:
    """Connect the Rule receivers (idempotent: fixed dispatch uids)."""
    post_save.connect(_rule_saved, sender=RULE_MODEL, dispatch_uid="bindings-rule-saved")
    post_delete.connect(_rule_deleted, sender=RULE_MODEL, dispatch_uid="bindings-rule-deleted")
