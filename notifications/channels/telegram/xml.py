"""TELEGRAM endpoints in ``*-notification.xml``.

ATSD never published a TELEGRAM export, so ours is the common shape (spec §2.6): a
``WebNotificationConfig`` with ``<type>TELEGRAM</type>``, ``baseUrl`` for an API
gateway, and the chat, token and switches in the ``parameters`` tree-map (the token
written empty unless secrets are asked for).
"""

from notifications.channels.xml import EndpointXml

MAPPING = EndpointXml("TELEGRAM")
