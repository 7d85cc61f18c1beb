"""What the rules app publishes to the notifications app, and nothing else.

Notifications imports these submodules (and the models it reads), never the other
packages of ``rules``. This package imports nothing, so that importing one submodule
does not bring in the others:

* :mod:`rules.contract.triggers` — ``TriggerSnapshot`` and its one versioned codec;
* :mod:`rules.contract.consumers` — who is told about stored triggers;
* :mod:`rules.contract.errors` — the rule-error hook;
* :mod:`rules.contract.changes` — the rules-changed announcement;
* :mod:`rules.contract.bindings` — ``WebNotificationSpec``, one ``<webNotification>``;
* :mod:`rules.contract.rule_bindings` — a rule's bindings as specs, read and saved;
* :mod:`rules.contract.series` — the series history's read side and self-metrics;
* :mod:`rules.contract.stores` — the stores templates read (properties, tables...);
* :mod:`rules.contract.sent_times` — when stored triggers' notifications were sent.
"""
