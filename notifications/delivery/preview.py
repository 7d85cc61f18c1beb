"""Message previews (rules.contract.previews): what each fired binding of a trigger
would send, rendered as a send renders it, for triggers that were never stored.

Nothing is written or sent: no delivery row, no rule error (placeholder errors are in
the preview), no screenshot (the preview says one would be attached), no web query.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from notifications.delivery.lookup import resolve_parameters, trigger_slot
from notifications.delivery.render import details_format, render_info
from notifications.models import Endpoint, MailClient, RuleNotification
from notifications.rendering import MESSAGE_FORMAT_LINK_STYLES, details_table, render_message
from notifications.rendering.scope import TriggerScope
from notifications.rendering.template import OverlayScope
from notifications.rendering.template import render as render_template
from notifications.rendering.window_fields import window_fields
from rules.contract.email_bindings import EmailNotificationError, split_recipients
from rules.contract.previews import MessagePreview
from rules.contract.rule_bindings import email_notification_specs
from rules.contract.triggers import EMAIL_ACTION_PREFIX, WEB_ACTION_PREFIX, TriggerSnapshot
from rules.models import Rule


class _Previews:
    """The previews of one set of triggers, reading each binding and endpoint once."""

    def __init__(self, reads: Any) -> None:
        self.reads = reads
        self.bindings: dict[tuple[str, str], RuleNotification | None] = {}
        self.endpoints: dict[str, Endpoint | None] = {}
        self.rules: dict[str, Rule | None] = {}

    def binding(self, rule: str, name: str) -> RuleNotification | None:
        if (rule, name) not in self.bindings:
            found = RuleNotification.objects.filter(rule_name=rule, name=name).first()
            self.bindings[(rule, name)] = found
        return self.bindings[(rule, name)]

    def endpoint(self, name: str) -> Endpoint | None:
        if name not in self.endpoints:
            self.endpoints[name] = Endpoint.objects.filter(name=name).first()
        return self.endpoints[name]

    def rule(self, name: str) -> Rule | None:
        if name not in self.rules:
            self.rules[name] = Rule.objects.filter(name=name).first()
        return self.rules[name]

    def web(self, index: int, trigger: TriggerSnapshot, action: str) -> MessagePreview:
        def skipped(reason: str, endpoint: str = "") -> MessagePreview:
            return MessagePreview(index, action, trigger.status, endpoint, "", skipped=reason)

        binding = self.binding(trigger.rule, action.removeprefix(WEB_ACTION_PREFIX))
        if binding is None or not binding.enabled:
            return skipped("web notification disabled or removed")
        endpoint = self.endpoint(binding.endpoint_name)
        if endpoint is None:
            return skipped(f"endpoint '{binding.endpoint_name}' not found", binding.endpoint_name)
        if not endpoint.enabled:
            return skipped("endpoint disabled", endpoint.name)
        slot = trigger_slot(binding, trigger.status)
        parameters = resolve_parameters(endpoint, binding, slot)
        channel = endpoint.transport_class()
        message_format = channel.message_format(parameters)
        if message_format not in MESSAGE_FORMAT_LINK_STYLES:
            return skipped(f"unknown message format {message_format!r}", endpoint.name)
        info = render_info(
            trigger,
            message_format=message_format,
            details_format=details_format(binding, parameters),
            repeat_strategy=binding.repeat_strategy,
            sandbox_reads=self.reads,
        )
        errors: list[str] = []
        cancelled = False
        if channel.sends_window_fields:
            text = json.dumps(window_fields(trigger, info, now_ms=trigger.now_ms))
        elif channel.renders_request:
            scope = TriggerScope(trigger, replace(info, link_style="none"), now_ms=trigger.now_ms)

            def fill(
                template: str, escape: Callable[[str], str] | None, values: Mapping[str, str]
            ) -> str:
                nonlocal cancelled
                result = render_template(template, OverlayScope(scope, values), escape=escape)
                errors.extend(p.message for p in result.errors)
                cancelled = cancelled or result.cancelled
                return result.text

            request = channel.render_request(parameters, fill)
            text = request.get("body", "").strip() or request.get("url", "")
        else:
            template = parameters.get(channel.text_parameter, "")
            result = render_message(
                template, trigger, info, now_ms=trigger.now_ms, message_format=message_format
            )
            text, cancelled = result.text, result.cancelled
            errors.extend(p.message for p in result.errors)
        reason = "cancelAction()" if cancelled else ("" if text else "empty message text")
        details = ""
        if getattr(binding, f"{slot}_details"):
            details = _details(trigger, info, info.details_format, errors)
        return MessagePreview(
            index, action, trigger.status, endpoint.name, text, message_format,
            details=details, screenshot=bool(getattr(binding, f"{slot}_screenshot")),
            skipped=reason, errors=tuple(errors),
        )  # fmt: skip

    def email(self, index: int, trigger: TriggerSnapshot, action: str) -> MessagePreview:
        name = action.removeprefix(EMAIL_ACTION_PREFIX)
        rule = self.rule(trigger.rule)
        try:
            specs = email_notification_specs(rule) if rule is not None else []
        except EmailNotificationError as exc:
            specs, problem = [], f"email notification unreadable: {exc}"
        else:
            problem = "email notification disabled or removed"
        spec = next((s for s in specs if s.name == name and s.enabled), None)
        if spec is None:
            return MessagePreview(index, action, trigger.status, "", "", skipped=problem)
        sends = spec.sends(trigger.status.lower())
        interval = spec.repeat_interval
        info = render_info(
            trigger,
            message_format="html",
            details_format="html",
            repeat_strategy={"type": interval.type, "count": interval.count, "unit": interval.unit},
            sandbox_reads=self.reads,
        )
        errors: list[str] = []
        cancelled = False

        def rendered(template: str, message_format: str) -> str:
            nonlocal cancelled
            result = render_message(
                template, trigger, info, now_ms=trigger.now_ms, message_format=message_format
            )
            errors.extend(p.message for p in result.errors)
            cancelled = cancelled or result.cancelled
            return result.text

        subject = rendered(sends.subject, "text").strip()
        body = rendered(sends.body, "html")
        recipients = ", ".join(split_recipients(rendered(spec.recipients, "text")))
        reason = "cancelAction()" if cancelled else ("" if subject else "empty subject")
        if not reason and not recipients:
            reason = "no recipients"
        if not reason and not MailClient.load().enabled:
            reason = "mail client disabled"
        details = _details(trigger, info, "html", errors) if sends.details else ""
        return MessagePreview(
            index, action, trigger.status, recipients, body, "html", subject=subject,
            details=details, screenshot=sends.screenshot, skipped=reason, errors=tuple(errors),
        )  # fmt: skip


def _details(trigger: TriggerSnapshot, info: Any, table_format: str, errors: list[str]) -> str:
    try:
        return details_table(trigger, info, table_format)
    except Exception as exc:  # an unknown format is the rule's error, as in a send
        errors.append(f"details table: {exc}")
        return ""


def preview_triggers(triggers: Sequence[TriggerSnapshot], store_reads: Any) -> list[MessagePreview]:
    """Every fired web and email binding's message for each of ``triggers``, in order."""
    previews = _Previews(store_reads)
    out = []
    for index, trigger in enumerate(triggers):
        for action in trigger.fired():
            if action.startswith(WEB_ACTION_PREFIX):
                out.append(previews.web(index, trigger, action))
            elif action.startswith(EMAIL_ACTION_PREFIX):
                out.append(previews.email(index, trigger, action))
    return out
