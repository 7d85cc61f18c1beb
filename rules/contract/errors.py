"""The rule-error hook: a problem found outside an evaluation, shown on Rule Errors.

Notifications reports what it finds while sending (a placeholder that fails, a fired
binding whose row is gone) as rule errors of the rule at fault, beside the engine's own.
"""

from __future__ import annotations

from rules.alerts.store import record_rule_error


def report_rule_error(rule: str, error: str, *, expression: str = "", window_key: str = "") -> None:
    """Record ``error`` for ``rule`` on the Rule Errors page (the newest rows are kept)."""
    record_rule_error(rule, error, expression, window_key)
