"""AWS endpoints in ``*-notification.xml``.

AWS API endpoints are ATSD's ``AwsApiNotificationConfig``: the ``action`` in the
tree-map, the credentials, URL, form-encoded or JSON body, method and headers as the
element's own fields, and the body parameters rules may replace in
``exposedTableModelParams``. ATSD never published an SNS or SQS export: ours is the
common shape (``<type>AWS-SNS</type>``, parameters in the tree-map).
"""

from notifications.channels.xml import AtsdElementXml, EndpointXml

API_MAPPING = AtsdElementXml(
    "AWS-API",
    (
        "accessKeyId",
        "secretAccessKey",
        "url",
        "body",
        "contentType",
        "method",
        "exposedTableModelParams",
        "headers",
    ),
    tree_map=("action",),
    body_parameters=True,
)
SNS_MAPPING = EndpointXml("AWS-SNS")
SQS_MAPPING = EndpointXml("AWS-SQS")
