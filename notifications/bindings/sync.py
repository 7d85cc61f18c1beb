"""Keep ``Rule.web_notifications_xml`` and the rule's ``RuleNotification`` rows in step.

Two directions, never both for one change:

* XML → rows: every ``Rule`` save (rules.xml import, the rule editor, the enable
  toggle, the admin) runs :func:`sync_rows_from_rule` through ``post_save``. When the
  rows already hold what the XML says, nothing is written; otherwise the rule's rows
  are replaced in the save's transaction. Deleting a rule deletes its rows.
* rows → XML: the Web Notifications tab edits rows, then calls
  :func:`publish_bindings`, which writes the rendered XML with a queryset
  ``update()`` (no ``post_save``, hence no loop) and announces the rules change after
  commit so the engine reloads the rule's actions.

The rules app never imports this module: the receivers are connected by
``NotificationsConfig.ready`` with the lazy sender ``"rules.Rule"``.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from notifications.bindings.xml import (
    NAME_PREFIX,
    binding_values,
    parse_web_notification,
    render_bindings,
    same_bindings,
)
from notifications.models import RuleNotification

logger = logging.getLogger(__name__)

RULE_MODEL = "rules.Rule"
_NAME_ID_RE = re.compile(re.escape(NAME_PREFIX) + r"(\d+)$")


def parsed_bindings(rule: Any) -> list[dict[str, Any]]:
    """Field values of each ``<webNotification>`` of ``rule``, in order, names made unique.

    A name that repeats inside the rule (rows are unique per rule and name) gets a
    `` (2)``, `` (3)`` … suffix. Raises ``BindingXmlError`` for an unreadable element.
    """
    values = [
        parse_web_notification(raw, index=index)
        for index, raw in enumerate(rule.web_notifications_xml or [])
    ]
    seen: set[str] = set()
    for item in values:
        name, suffix = item["name"], 2
        while item["name"] in seen:
            item["name"] = f"{name} ({suffix})"
            suffix += 1
        seen.add(item["name"])
    return values


def sync_rows_from_rule(rule: Any) -> bool:
    """Make the rows of ``rule`` mirror its ``web_notifications_xml``; True when rows changed.

    Rows are compared with the XML field by field (not as text), so a save that did
    not touch the notifications writes nothing and keeps row ids. When names had to
    be made unique, the rendered XML is written back so that XML and rows agree.
    """
    parsed = parsed_bindings(rule)
    with transaction.atomic():
        current = list(
            RuleNotification.objects.select_for_update()
            .filter(rule_name=rule.name)
            .order_by("position", "id")
        )
        if same_bindings(current, parsed):
            return False
        RuleNotification.objects.filter(rule_name=rule.name).delete()
        rows = RuleNotification.objects.bulk_create(
            RuleNotification(rule_name=rule.name, position=position, **values)
            for position, values in enumerate(parsed)
        )
        if _renamed(rule, parsed):
            xml = render_bindings(rows, rule.name)
            type(rule).objects.filter(pk=rule.pk).update(web_notifications_xml=xml)
            rule.web_notifications_xml = xml
    logger.info("rule %r: %d web notification binding(s) loaded from XML", rule.name, len(rows))
    return True


def _renamed(rule: Any, parsed: list[dict[str, Any]]) -> bool:
    originals = [
        parse_web_notification(raw, index=i)["name"]
        for i, raw in enumerate(rule.web_notifications_xml or [])
    ]
    return originals != [values["name"] for values in parsed]


def publish_bindings(rule: Any) -> list[str]:
    """Write the rendered rows of ``rule`` into ``Rule.web_notifications_xml``.

    Call inside the transaction that changed the rows. Uses ``update()`` so that no
    ``post_save`` fires (the rows are already right), stamps ``last_updated`` (Unix
    ms, as ATSD's ``lastUpdated``), updates the ``rule`` instance in memory, and
    after commit bumps the rules version so routers and engine partitions reload.
    Returns the XML list written.
    """
    from rules.runtime.versions import announce_rules_changed

    rows = RuleNotification.objects.filter(rule_name=rule.name).order_by("position", "id")
    xml = render_bindings(rows, rule.name)
    stamp = int(time.time() * 1000)
    type(rule).objects.filter(pk=rule.pk).update(web_notifications_xml=xml, last_updated=stamp)
    rule.web_notifications_xml = xml
    rule.last_updated = stamp
    transaction.on_commit(announce_rules_changed)
    return xml


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


def row_matches_xml(row: RuleNotification, raw: str, index: int = 0) -> bool:
    """True when ``raw`` holds the same field values as ``row`` (for checks and tests)."""
    return binding_values(row) == binding_values(parse_web_notification(raw, index=index))


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
