"""The Notification Log (spec §7.6): one row per outgoing request, as a page and an API."""
