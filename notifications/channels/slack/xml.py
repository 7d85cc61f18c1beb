"""SLACK endpoints in ``*-notification.xml``.

ATSD published no SLACK export; ours is the common shape (spec §2.6): a
``WebNotificationConfig`` with ``<type>SLACK</type>``, ``baseUrl`` for an API gateway,
and the token, channels and message options in the ``parameters`` tree-map.
"""

from notifications.channels.xml import EndpointXml

MAPPING = EndpointXml("SLACK")
