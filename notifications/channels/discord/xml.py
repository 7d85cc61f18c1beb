"""DISCORD endpoints in ``*-notification.xml``.

ATSD published no DISCORD export; ours is the common shape (spec §2.6): a
``WebNotificationConfig`` with ``<type>DISCORD</type>``, ``baseUrl`` for an API gateway,
and the webhook id and token (secrets), content and username in the ``parameters``
tree-map. The Webhook URL of the form is split into the id and token, never stored.
"""

from notifications.channels.xml import EndpointXml

MAPPING = EndpointXml("DISCORD")
