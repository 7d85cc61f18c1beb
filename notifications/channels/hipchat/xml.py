"""HIPCHAT endpoints in ``*-notification.xml``.

ATSD never published a HIPCHAT export, so ours is the common shape: a
``WebNotificationConfig`` with ``<type>HIPCHAT</type>``, ``baseUrl`` for HipChat
Server, and the room, tokens and message options in the ``parameters`` tree-map.
"""

from notifications.channels.xml import EndpointXml

MAPPING = EndpointXml("HIPCHAT")
