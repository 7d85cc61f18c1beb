"""Google Cloud Pub/Sub endpoints: REST publish authorized by a service account's JWT."""
