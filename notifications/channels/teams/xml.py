"""TEAMS endpoints in ``*-notification.xml``.

Teams is beyond ATSD, which has no such export; ours is the common shape (spec §2.6):
a ``WebNotificationConfig`` with ``<type>TEAMS</type>``, the webhook URL (a secret: it
carries its signature) and the text in the ``parameters`` tree-map.
"""

from notifications.channels.xml import EndpointXml

MAPPING = EndpointXml("TEAMS")
