"""A rule's web-notification bindings: ``WebNotificationSpec`` ↔ ``RuleNotification`` rows,
keeping the rule's bindings and the rows in step, and the rule's Web Notifications tab
(spec §2.3, §7.2). The ``<webNotification>`` XML itself is the rules app's
(``rules.contract.rule_bindings``).

* :mod:`notifications.bindings.rows` — a row ↔ a spec.
* :mod:`notifications.bindings.sync` — rows from a saved rule's bindings, bindings from edited rows.
* :mod:`notifications.bindings.views` — the tab at ``/rules/<pk>/notifications/``.
"""
