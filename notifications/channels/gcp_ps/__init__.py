"""Google Cloud Pub/Sub endpoints: stored, not sent yet."""
