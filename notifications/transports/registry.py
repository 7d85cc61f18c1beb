"""Endpoint kinds as data (spec ``atsd-rule-engine.md`` §7.1, §2.3).

Model choices, forms and the send task derive from :data:`KINDS`; a kind whose
``status`` is ``supported`` has a transport class. ``store-only`` kinds are
imported, exported and edited but never sent (§7.3 step 1); ``planned`` kinds
are known from ATSD exports but have no transport yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

SUPPORTED = "supported"
STORE_ONLY = "store-only"
PLANNED = "planned"


@dataclass(frozen=True)
class EndpointKind:
    """One endpoint type.

    ``parameters`` are the rule-editable keys in form order; ``secret_parameters``
    are token keys (fixed on the endpoint, write-only in forms, never logged).
    """

    kind: str
    label: str
    status: str
    transport: str = ""
    image_capable: bool = False
    parameters: tuple[str, ...] = ()
    secret_parameters: tuple[str, ...] = ()

    @property
    def sendable(self) -> bool:
        return self.status == SUPPORTED

    def transport_class(self) -> type:
        """Import and return the transport class; only for supported kinds."""
        if not self.transport:
            raise LookupError(f"endpoint kind {self.kind} has no transport ({self.status})")
        module, _, name = self.transport.rpartition(".")
        return getattr(import_module(module), name)


KINDS: dict[str, EndpointKind] = {
    k.kind: k
    for k in (
        EndpointKind(
            "HIPCHAT",
            "HipChat",
            SUPPORTED,
            transport="notifications.transports.hipchat.HipChatTransport",
            image_capable=True,
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
        ),
        EndpointKind(
            "SLACK",
            "Slack",
            PLANNED,
            image_capable=True,
            parameters=("text", "channels", "username", "details_table_format"),
            secret_parameters=("token",),
        ),
        EndpointKind(
            "TELEGRAM",
            "Telegram",
            PLANNED,
            image_capable=True,
            parameters=(
                "text",
                "chat_id",
                "disable_notification",
                "disable_web_page_preview",
                "details_table_format",
            ),
            secret_parameters=("bot_id",),
        ),
        EndpointKind(
            "DISCORD",
            "Discord",
            PLANNED,
            image_capable=True,
            parameters=("content", "username"),
            secret_parameters=("webhook_id", "webhook_token"),
        ),
        EndpointKind("WEBHOOK", "Webhook", PLANNED, secret_parameters=("secret",)),
        EndpointKind("CUSTOM", "Custom", PLANNED),
        EndpointKind("AWS-API", "AWS API", STORE_ONLY),
        EndpointKind("AWS-SNS", "AWS SNS", STORE_ONLY, parameters=("message",)),
        EndpointKind("AWS-SQS", "AWS SQS", STORE_ONLY, parameters=("MessageBody",)),
        EndpointKind("AZURE-SB", "Azure Service Bus", STORE_ONLY, parameters=("message",)),
        EndpointKind("GCP-PS", "Google Cloud Pub/Sub", STORE_ONLY, parameters=("message",)),
    )
}


def get_kind(kind: str) -> EndpointKind:
    """The kind named ``kind`` (upper case as in ``rules.xml``); KeyError if unknown."""
    return KINDS[kind.upper()]


def choices() -> list[tuple[str, str]]:
    """``(kind, label)`` pairs for model and form choices, in registry order."""
    return [(k.kind, k.label) for k in KINDS.values()]
