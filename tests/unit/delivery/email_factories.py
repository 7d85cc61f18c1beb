"""Email bindings, the mail client and engine runs whose actions are email bindings."""

from __future__ import annotations

from devtools.fakes.smtp import SmtpServer
from notifications.models import MailClient
from rules.contract.bindings import RepeatInterval
from rules.contract.email_bindings import EmailNotificationSpec, EmailTriggerSettings
from rules.models import Rule
from rules.partition.definitions import email_actions
from rules.rulesxml.email_notifications import write_email_notifications
from tests.conftest import SMTP_LOGIN, SMTP_PASSWORD
from tests.engine_helpers import make_rule
from tests.unit.delivery.factories import RULE, EngineRun, engine_run

EMAIL_BINDING = "Email Notification id=1"
SUBJECT = "[${status}] ${rule} for ${entity}"
BODY = "<p>Value: ${value}</p>\nRule: ${ruleLink}"


def mail_client(server: SmtpServer, **fields) -> MailClient:
    """The mail client pointed at ``server`` with its login, enabled."""
    values = {
        "enabled": True,
        "host": server.host,
        "port": server.port,
        "security": server.security,
        "login": SMTP_LOGIN,
        "password": SMTP_PASSWORD,
        "sender": "alerts@example.org",
        "sender_name": "ATSD Alerts",
        "timeout_s": 5,
    }
    values.update(fields)
    client = MailClient(**values)
    client.save()
    return client


def email_spec(name: str = EMAIL_BINDING, **fields) -> EmailNotificationSpec:
    """Every trigger on with the same subject and body (as the corpus writes them)."""
    settings = EmailTriggerSettings(subject=SUBJECT, body=BODY)
    values = {
        "recipients": "ops@example.org; ${entity}@example.org",
        "repeat_interval": RepeatInterval("ALL", 5, "MINUTE"),
        "open": settings,
        "repeat": settings,
        "cancel": settings,
    }
    values.update(fields)
    return EmailNotificationSpec(name, **values)


def email_rule(*specs: EmailNotificationSpec, name: str = RULE) -> Rule:
    """The rule of :func:`engine_run` carrying ``specs`` as an import would."""
    specs = specs or (email_spec(),)
    return make_rule(
        name,
        "temperature",
        "avg() > 50",
        "length(3)",
        email_notifications_xml=write_email_notifications(specs, name),
    )


def email_run(rule: Rule) -> EngineRun:
    """An in-process engine running ``rule`` with the actions the engine gives its
    email bindings."""
    return engine_run(rule.name, actions=tuple(email_actions(rule)))
