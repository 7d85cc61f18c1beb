"""The notifications app's models: endpoints, the mail client, rule bindings,
deliveries and their log.

One module per table family; Django finds every model through this package, so
the app label (``notifications``) and the table names stay those of the app. The
endpoint validators are exported here because migrations refer to them by this path.
"""

from notifications.models.binding import RuleNotification
from notifications.models.delivery import (
    AttemptStatus,
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
)
from notifications.models.endpoint import (
    Endpoint,
    masked_parameters,
    validate_ca_bundle,
    validate_endpoint_url,
    validate_parameters,
    validate_proxy_url,
)
from notifications.models.mail import MailClient, MailSecurity

__all__ = [
    "AttemptStatus",
    "Channel",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryStatus",
    "Endpoint",
    "MailClient",
    "MailSecurity",
    "RuleNotification",
    "masked_parameters",
    "validate_ca_bundle",
    "validate_endpoint_url",
    "validate_parameters",
    "validate_proxy_url",
]
