"""WEBHOOK endpoints in ``*-notification.xml``: the common shape (spec §2.6) with
``<type>WEBHOOK</type>``, the URL as ``baseUrl``, the content type and the secret
(written empty unless secrets are asked for) in the ``parameters`` tree-map."""

from notifications.channels.xml import EndpointXml

MAPPING = EndpointXml("WEBHOOK")
