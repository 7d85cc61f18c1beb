"""A rule's bindings as specs: web notifications as ``WebNotificationSpec``, email
notifications as ``EmailNotificationSpec``; read, and saved back.

A rule keeps its bindings as ``<webNotification>`` and ``<emailNotification>`` elements
(``Rule.web_notifications_xml``, ``Rule.email_notifications_xml``), so that rules.xml
export and the engine's action settings need nothing from the notifications app; rules
reads and writes that XML, notifications sees specs only.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from django.db import transaction

from rules.contract.bindings import WebNotificationSpec
from rules.contract.changes import announce_rules_changed
from rules.contract.email_bindings import EmailNotificationSpec
from rules.models import Rule
from rules.rulesxml.email_notifications import read_email_notifications, write_email_notifications
from rules.rulesxml.web_notifications import read_web_notifications, write_web_notifications


def web_notification_specs(rule: Rule) -> list[WebNotificationSpec]:
    """The rule's bindings in order; ``WebNotificationError`` for an unreadable element."""
    return read_web_notifications(rule.web_notifications_xml or [])


def save_web_notifications(rule: Rule, specs: Sequence[WebNotificationSpec]) -> None:
    """Make ``specs`` the rule's bindings after they were edited (not the rule).

    Call inside the transaction that changed them. Written with a queryset ``update()``
    (no ``post_save``: nothing else about the rule changed), ``last_updated`` stamped
    (Unix ms, as ATSD's ``lastUpdated``), the ``rule`` instance updated in memory, and
    the rules change announced after commit so the engine reloads the rule's actions.
    """
    _store(rule, "web_notifications_xml", write_web_notifications(specs, rule.name))


def rename_web_notifications(rule: Rule, specs: Sequence[WebNotificationSpec]) -> None:
    """Write ``specs`` back while the rule is being saved, when reading its elements
    changed their names (two bindings of a rule cannot share one): the XML only, since
    the save that brought the elements announces itself."""
    xml = write_web_notifications(specs, rule.name)
    Rule.objects.filter(pk=rule.pk).update(web_notifications_xml=xml)
    rule.web_notifications_xml = xml


def email_notification_specs(rule: Rule) -> list[EmailNotificationSpec]:
    """The rule's email bindings in order; ``EmailNotificationError`` for an unreadable one."""
    return read_email_notifications(rule.email_notifications_xml or [])


def save_email_notifications(rule: Rule, specs: Sequence[EmailNotificationSpec]) -> None:
    """Make ``specs`` the rule's email bindings after they were edited (not the rule):
    written as :func:`save_web_notifications` writes web bindings, and announced after
    commit so the engine reloads the rule's actions."""
    _store(rule, "email_notifications_xml", write_email_notifications(specs, rule.name))


def _store(rule: Rule, field: str, xml: list[str]) -> None:
    stamp = int(time.time() * 1000)
    Rule.objects.filter(pk=rule.pk).update(**{field: xml, "last_updated": stamp})
    setattr(rule, field, xml)
    rule.last_updated = stamp
    transaction.on_commit(announce_rules_changed)
