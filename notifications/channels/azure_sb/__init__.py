"""Azure Service Bus endpoints (a queue or topic, or an Event Hub): stored, not sent yet."""
