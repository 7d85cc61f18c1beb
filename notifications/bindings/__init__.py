"""A rule's web-notification bindings: ``<webNotification>`` XML ↔ ``RuleNotification`` rows,
keeping ``Rule.web_notifications_xml`` and the rows in step, and the rule's Web
Notifications tab (spec §2.3, §7.2).

* :mod:`notifications.bindings.xml` — ``parse_web_notification`` / ``render_web_notification``.
* :mod:`notifications.bindings.sync` — rows from a saved rule's XML, XML from edited rows.
* :mod:`notifications.bindings.views` — the tab at ``/rules/<pk>/notifications/``.
"""
