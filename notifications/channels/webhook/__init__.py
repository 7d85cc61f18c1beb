"""WEBHOOK endpoints: every window field of a trigger POSTed to a URL, signed when a
secret is set."""
