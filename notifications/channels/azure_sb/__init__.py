"""Azure Service Bus endpoints (a queue or topic, or an Event Hub): REST with a Shared
Access Signature."""
