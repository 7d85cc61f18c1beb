"""GCP-PS endpoints in ``*-notification.xml``: ATSD's ``GcpPubSubWebNotificationConfig``,
the project, topic, message and service account (its private key is a keystore alias)
in the tree-map and the publish URL as its own field. The class has no
``exposedTableModelParams``: rules edit ``topic`` and ``message``."""

from notifications.channels.xml import AtsdElementXml

MAPPING = AtsdElementXml("GCP-PS", ("url",), default_editable=("topic", "message"))
