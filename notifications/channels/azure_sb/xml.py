"""AZURE-SB endpoints in ``*-notification.xml``: ATSD's
``AzureServiceBusWebNotificationConfig``, the namespace, destination, message and query
parameters in the tree-map, the SAS key name and key and the URL as its own fields.
The class has no ``exposedTableModelParams``: rules edit ``destination`` and ``message``."""

from notifications.channels.xml import AtsdElementXml

MAPPING = AtsdElementXml(
    "AZURE-SB",
    ("keyName", "primaryKey", "url", "headers"),
    default_editable=("destination", "message"),
)
