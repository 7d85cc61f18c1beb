"""Channel kinds as data: the one table the rest of notifications derives from.

Each endpoint kind of ATSD (spec ``atsd-rule-engine.md`` §7.1, §2.3), and Microsoft
Teams beyond it, maps to a :class:`ChannelKind`: its label, whether it sends, the
parameters rules may edit and the secret ones, how its endpoints look in
``*-notification.xml``, and the dotted paths of its form, transport and XML mapping.
Model choices, the endpoint pages, the XML import and export and the delivery all
read this table; the paths are resolved where they are used
(:func:`notifications.channels.form.form_for`,
:meth:`notifications.models.Endpoint.transport_class`,
:func:`notifications.channels.xml.mapping_for`), so that this module imports none of
them: the model imports this table, and the forms import the model.

A kind that sends (``supported``) has all three and a folder of its own under
``notifications/channels/``. ``store-only`` kinds have a form and an XML mapping in a
folder of their own, so they are imported, exported and edited, but no transport: they
are stored, not sent (§7.3 step 1). ``planned`` kinds are known from ATSD exports and
have neither yet; they become folders when they get a form.
"""

from __future__ import annotations

from dataclasses import dataclass

SUPPORTED = "supported"
STORE_ONLY = "store-only"
PLANNED = "planned"

#: The Java package of ATSD's endpoint export classes.
XML_PACKAGE = "com.axibase.tsd.model.notifications."
#: The export class of most kinds, which tell themselves apart by ``<type>``.
WEB_CONFIG = XML_PACKAGE + "WebNotificationConfig"


@dataclass(frozen=True)
class ChannelKind:
    """One endpoint kind.

    ``parameters`` are the rule-editable keys in form order; ``secret_parameters``
    are token keys (fixed on the endpoint, write-only in forms, never logged).
    ``sends_files``: the service takes files (details tables, charts: Send Screenshot).
    ``xml_class``: the Java class of its element in an endpoint export. ``form``,
    ``transport`` and ``xml``: dotted paths of its form class, transport class and
    XML mapping; empty while the kind has none.
    """

    kind: str
    label: str
    status: str
    parameters: tuple[str, ...] = ()
    secret_parameters: tuple[str, ...] = ()
    sends_files: bool = False
    xml_class: str = WEB_CONFIG
    form: str = ""
    transport: str = ""
    xml: str = ""

    @property
    def sendable(self) -> bool:
        return self.status == SUPPORTED


KINDS: dict[str, ChannelKind] = {
    k.kind: k
    for k in (
        ChannelKind(
            "HIPCHAT",
            "HipChat",
            SUPPORTED,
            parameters=(
                "message",
                "message_format",
                "notify",
                "from",
                "room",
                "add_links_to_portals",
            ),
            # auth_token (both scopes) or the Dec 2017 pair of per-scope tokens.
            secret_parameters=("auth_token", "notification_token", "message_token"),
            sends_files=True,
            form="notifications.channels.hipchat.form.HipChatEndpointForm",
            transport="notifications.channels.hipchat.transport.HipChatTransport",
            xml="notifications.channels.hipchat.xml.MAPPING",
        ),
        ChannelKind(
            "SLACK",
            "Slack",
            SUPPORTED,
            parameters=(
                "channels",
                "username",
                "text",
                "parse",
                "link_names",
                "details_table_format",
            ),
            secret_parameters=("token",),
            sends_files=True,
            form="notifications.channels.slack.form.SlackEndpointForm",
            transport="notifications.channels.slack.transport.SlackTransport",
            xml="notifications.channels.slack.xml.MAPPING",
        ),
        ChannelKind(
            "TELEGRAM",
            "Telegram",
            SUPPORTED,
            parameters=(
                "text",
                "chat_id",
                "parse_mode",
                "disable_notification",
                "disable_web_page_preview",
                "details_table_format",
            ),
            secret_parameters=("bot_id",),
            sends_files=True,
            form="notifications.channels.telegram.form.TelegramEndpointForm",
            transport="notifications.channels.telegram.transport.TelegramTransport",
            xml="notifications.channels.telegram.xml.MAPPING",
        ),
        ChannelKind(
            "DISCORD",
            "Discord",
            SUPPORTED,
            parameters=("content", "username"),
            secret_parameters=("webhook_id", "webhook_token"),
            sends_files=True,
            form="notifications.channels.discord.form.DiscordEndpointForm",
            transport="notifications.channels.discord.transport.DiscordTransport",
            xml="notifications.channels.discord.xml.MAPPING",
        ),
        ChannelKind(
            "TEAMS",
            "Microsoft Teams",
            SUPPORTED,
            parameters=("text",),
            # The Workflows URL signs itself (sig=): whoever has it can post.
            secret_parameters=("webhook_url",),
            form="notifications.channels.teams.form.TeamsEndpointForm",
            transport="notifications.channels.teams.transport.TeamsTransport",
            xml="notifications.channels.teams.xml.MAPPING",
        ),
        ChannelKind(
            "WEBHOOK",
            "Webhook",
            SUPPORTED,
            parameters=("content_type",),
            secret_parameters=("secret",),
            form="notifications.channels.webhook.form.WebhookEndpointForm",
            transport="notifications.channels.webhook.transport.WebhookTransport",
            xml="notifications.channels.webhook.xml.MAPPING",
        ),
        ChannelKind(
            "CUSTOM",
            "Custom",
            SUPPORTED,
            # The request's settings; its rule keys (placeholders, form fields) are added
            # per endpoint (notifications.channels.custom.request).
            parameters=(
                "method",
                "content_type",
                "url",
                "headers",
                "body",
                "auth_type",
                "username",
                "aws_region",
                "aws_service",
                "link_type",
            ),
            secret_parameters=("password",),
            form="notifications.channels.custom.form.CustomEndpointForm",
            transport="notifications.channels.custom.transport.CustomTransport",
            xml="notifications.channels.custom.xml.MAPPING",
        ),
        # Stored, not sent: a form and an XML mapping, no transport yet.
        ChannelKind(
            "AWS-API",
            "AWS API",
            STORE_ONLY,
            parameters=("action", "accessKeyId", "method", "contentType", "headers", "body"),
            secret_parameters=("secretAccessKey",),
            xml_class=XML_PACKAGE + "AwsApiNotificationConfig",
            form="notifications.channels.aws.form.AwsApiEndpointForm",
            xml="notifications.channels.aws.xml.API_MAPPING",
        ),
        ChannelKind(
            "AWS-SNS",
            "AWS SNS",
            SUPPORTED,
            parameters=("region", "topicArn", "subject", "message", "accessKeyId"),
            secret_parameters=("secretAccessKey",),
            form="notifications.channels.aws.form.AwsSnsEndpointForm",
            transport="notifications.channels.aws.transport.SnsTransport",
            xml="notifications.channels.aws.xml.SNS_MAPPING",
        ),
        ChannelKind(
            "AWS-SQS",
            "AWS SQS",
            SUPPORTED,
            parameters=("region", "queueUrl", "message", "accessKeyId"),
            secret_parameters=("secretAccessKey",),
            form="notifications.channels.aws.form.AwsSqsEndpointForm",
            transport="notifications.channels.aws.transport.SqsTransport",
            xml="notifications.channels.aws.xml.SQS_MAPPING",
        ),
        ChannelKind(
            "AZURE-SB",
            "Azure Service Bus",
            SUPPORTED,
            parameters=(
                "servicebusNamespace",
                "destination",
                "pathParameters",
                "keyName",
                "headers",
                "message",
            ),
            secret_parameters=("primaryKey",),
            xml_class=XML_PACKAGE + "AzureServiceBusWebNotificationConfig",
            form="notifications.channels.azure_sb.form.AzureServiceBusEndpointForm",
            transport="notifications.channels.azure_sb.transport.ServiceBusTransport",
            xml="notifications.channels.azure_sb.xml.MAPPING",
        ),
        ChannelKind(
            "GCP-PS",
            "Google Cloud Pub/Sub",
            SUPPORTED,
            parameters=("projectId", "topic", "serviceAccount", "privateKeyAlias", "message"),
            secret_parameters=("serviceAccountKey",),
            xml_class=XML_PACKAGE + "GcpPubSubWebNotificationConfig",
            form="notifications.channels.gcp_ps.form.GcpPubSubEndpointForm",
            transport="notifications.channels.gcp_ps.transport.PubSubTransport",
            xml="notifications.channels.gcp_ps.xml.MAPPING",
        ),
    )
}


def get_kind(kind: str) -> ChannelKind:
    """The kind named ``kind`` (upper case as in ``rules.xml``); KeyError if unknown."""
    return KINDS[kind.upper()]


def choices() -> list[tuple[str, str]]:
    """``(kind, label)`` pairs for model and form choices, in registry order."""
    return [(k.kind, k.label) for k in KINDS.values()]


def kind_of_element(class_name: str, declared_type: str) -> str:
    """The kind of an export element of Java class ``class_name`` whose ``<type>`` says
    ``declared_type``: ``<type>`` (CUSTOM when empty) for the generic class, else the kind
    whose class it is; ``""`` for a class no kind has."""
    if class_name == WEB_CONFIG:
        return declared_type.strip().upper() or "CUSTOM"
    return next((k.kind for k in KINDS.values() if k.xml_class == class_name), "")
